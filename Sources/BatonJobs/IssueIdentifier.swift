/// How a job names the issue it works for: Linear's identifier, `ENG-123` (a team key, a dash, a
/// number). Jobs only carry it; the issue itself lives above them (SPEC §9). A workspace named
/// this way belongs to that issue; `job-7`, an ad-hoc job's workspace, does not.
public enum IssueIdentifier {
    public static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let team = parts.first, let number = parts.last, let first = team.first else {
            return false
        }
        // Linear's team keys are upper case ASCII letters and digits, starting with a letter.
        return (1...16).contains(team.count) && team.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
            && ("A"..."Z").contains(first) && (1...9).contains(number.count)
            && number.allSatisfy { ("0"..."9").contains($0) }
    }
}
