/// Task strength per model family (llmfit's curated table, TaskBenchmarkTable.swift): a family's
/// relative score for coding, reasoning and chat, which moves the quality score of models of
/// that family when the task is theirs.
enum TaskBenchmarks {
    struct Row: Sendable {
        var pattern: String
        var coding: Double?
        var reasoning: Double?
        var chat: Double?
    }

    /// The score of the longest pattern the lower-cased name contains that has a score for
    /// `task` (the first of equally long ones); nil when none does or the task has no column.
    static func score(lowerName: String, task: UseCase) -> Double? {
        var best: (length: Int, score: Double)?
        for row in table where lowerName.contains(row.pattern) {
            let score: Double? =
                switch task {
                case .coding: row.coding
                case .reasoning: row.reasoning
                case .chat: row.chat
                default: nil
                }
            guard let score else { continue }
            let length = row.pattern.utf8.count
            if best.map({ length > $0.length }) ?? true { best = (length, score) }
        }
        return best?.score
    }
}
