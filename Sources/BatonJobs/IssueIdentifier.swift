/// How a job names the issue it works for: Linear's identifier, `ENG-123` (a team key, a dash, a
/// number). Jobs only carry it; the issue itself lives above them (SPEC §9). A workspace named
/// this way belongs to that issue; `job-7`, an ad-hoc job's workspace, does not.
public enum IssueIdentifier {
    public static func isValid(_ text: String) -> Bool {
        // Byte by byte, so what passes is exactly `^[A-Z][A-Z0-9]{0,15}-[0-9]{1,9}$`.
        let bytes = Array(text.utf8)
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")), let first = bytes.first else { return false }
        let team = bytes[..<dash]
        let number = bytes[(dash + 1)...]
        // Linear's team keys are upper case ASCII letters and digits, starting with a letter.
        return (1...16).contains(team.count) && (65...90).contains(first)
            && team.allSatisfy { (65...90).contains($0) || (48...57).contains($0) }
            && (1...9).contains(number.count) && number.allSatisfy { (48...57).contains($0) }
    }
}
