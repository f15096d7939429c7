import BatonPlatform

/// Who a request comes from, for limits and audit entries counted per source (SPEC §2.7, §2.9):
/// the client's host without its port; an IPv4-mapped IPv6 address as the IPv4 address; any
/// other IPv6 address as its /64 prefix, because one IPv6 client usually holds a whole /64 and
/// could otherwise make up a new source for every request.
public enum SourceAddress {
    /// `1.2.3.4:5678` → `1.2.3.4`; `[2001:db8:1:2:a:b:c:d]:443` → `2001:db8:1:2::/64`;
    /// `[::ffff:1.2.3.4]:80` → `1.2.3.4`. Anything else is returned without its port, as it is.
    public static func key(_ address: String) -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            let host = address[address.index(after: address.startIndex)..<close]
            guard let groups = ipv6Groups(host) else { return String(host) }
            if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
                return "\(groups[6] >> 8).\(groups[6] & 0xFF).\(groups[7] >> 8).\(groups[7] & 0xFF)"
            }
            return groups[0..<4].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        }
        // Only one colon: host:port. More is an IPv6 address without brackets or port.
        guard let colon = address.lastIndex(of: ":"), address.firstIndex(of: ":") == colon else { return address }
        return String(address[..<colon])
    }

    /// The eight 16-bit groups of an IPv6 address in text (`::` and a dotted IPv4 tail allowed),
    /// or nil when it is not one.
    static func ipv6Groups(_ text: Substring) -> [UInt16]? {
        var text = String(text)
        // A dotted IPv4 tail (::ffff:1.2.3.4) is the last two groups.
        if let colon = text.lastIndex(of: ":"), text[colon...].contains(".") {
            let octets = text[text.index(after: colon)...].split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4 else { return nil }
            var values: [UInt16] = []
            for octet in octets {
                guard (1...3).contains(octet.count), octet.allSatisfy(\.isASCII), let v = UInt16(octet), v <= 255
                else { return nil }
                values.append(v)
            }
            let high = String(values[0] << 8 | values[1], radix: 16)
            let low = String(values[2] << 8 | values[3], radix: 16)
            text = String(text[...colon]) + high + ":" + low
        }
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit), let v = UInt16(group, radix: 16)
                else { return nil }
                out.append(v)
            }
            return out
        }
        var halves = [text[...]]
        if let gap = text.firstRange(of: "::") { halves = [text[..<gap.lowerBound], text[gap.upperBound...]] }
        if halves.count == 1 {
            guard let all = groups(halves[0]), all.count == 8 else { return nil }
            return all
        }
        guard let head = groups(halves[0]), let tail = groups(halves[1]), head.count + tail.count <= 7 else {
            return nil
        }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
