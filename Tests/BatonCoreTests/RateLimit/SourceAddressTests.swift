import Testing

@testable import BatonCore

@Suite struct SourceAddressTests {
    @Test func ipv4IsTheHostWithoutThePort() {
        #expect(SourceAddress.key("127.0.0.1:5555") == "127.0.0.1")
        #expect(SourceAddress.key("10.1.2.3:80") == "10.1.2.3")
        #expect(SourceAddress.key("10.1.2.3") == "10.1.2.3")
        #expect(SourceAddress.key("") == "")
    }

    /// One IPv6 client holds a /64: every address in it is one source.
    @Test func ipv6IsItsSlash64Prefix() {
        #expect(SourceAddress.key("[2001:db8:1:2:a:b:c:d]:443") == "2001:db8:1:2::/64")
        #expect(SourceAddress.key("[2001:DB8:1:2::ffff]:1") == "2001:db8:1:2::/64")
        #expect(SourceAddress.key("[2001:db8::1]:1") == "2001:db8:0:0::/64")
        #expect(SourceAddress.key("[::1]:80") == "0:0:0:0::/64")
        #expect(SourceAddress.key("[::]:80") == "0:0:0:0::/64")
        #expect(SourceAddress.key("[fe80:0:0:0:1::2]:9") == "fe80:0:0:0::/64")
        #expect(SourceAddress.key("[64:ff9b::192.0.2.1]:9") == "64:ff9b:0:0::/64")
    }

    @Test func ipv4MappedIPv6IsTheIPv4Address() {
        #expect(SourceAddress.key("[::ffff:192.0.2.7]:80") == "192.0.2.7")
        #expect(SourceAddress.key("[::ffff:c000:207]:80") == "192.0.2.7")
    }

    /// What is not an address is kept as it is (without a port), never a trap.
    @Test func anythingElseIsKeptAsItIs() {
        #expect(SourceAddress.key("[not-an-address]:80") == "not-an-address")
        #expect(SourceAddress.key("[1:2:3:4:5:6:7:8:9]:80") == "1:2:3:4:5:6:7:8:9")
        #expect(SourceAddress.key("[1::2::3]:80") == "1::2::3")
        #expect(SourceAddress.key("[::ffff:1.2.3.400]:80") == "::ffff:1.2.3.400")
        #expect(SourceAddress.key("[12345::]:80") == "12345::")
        #expect(SourceAddress.key("2001:db8::1") == "2001:db8::1")
        #expect(SourceAddress.key("[") == "[")
        #expect(SourceAddress.key("[]:1") == "")
    }
}
