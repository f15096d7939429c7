enum SecretReference {
    static func isValid(_ text: String) -> Bool {
        text.hasPrefix("$secret:") && SecretVault.isValidName(String(text.dropFirst("$secret:".count)))
    }
}
