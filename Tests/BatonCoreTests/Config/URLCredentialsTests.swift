import Testing

@testable import BatonCore

@Suite struct URLCredentialsTests {
    @Test func credentialsAreStrippedFromURLs() {
        #expect(URLCredentials.strip("https://user:tok@github.com/a/b.git") == "https://github.com/a/b.git")
        #expect(URLCredentials.strip("https://x-access-token:ghp_1@github.com") == "https://github.com")
        #expect(URLCredentials.strip("http://127.0.0.1:9/p?x=a@b") == "http://127.0.0.1:9/p?x=a@b")
        #expect(URLCredentials.strip("git@github.com:a/b.git") == "git@github.com:a/b.git")
        #expect(
            URLCredentials.strip("clone https://u:p@h/r and http://v@k/s") == "clone https://h/r and http://k/s")
        #expect(URLCredentials.strip("no url here") == "no url here")
    }
}
