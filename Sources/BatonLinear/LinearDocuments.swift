/// Every GraphQL document Baton sends to Linear, in one place, so that one test can validate
/// them all against Linear's published schema (Vendor/linear/schema.graphql; SPEC §9.15): a
/// document that names a field, argument or input type Linear does not have fails `make test`
/// instead of failing against Linear. Each is one named operation; the name is what
/// `baton_linear_requests_total{operation}` counts.
public enum LinearDocuments {
    static let issueFields = """
        id identifier title description priority url createdAt updatedAt
        state { id name type } labels { nodes { name } } team { id key } project { slugId }
        """

    /// A page of issues by filter (SPEC §9.13).
    public static let issues = """
        query BatonIssues($filter: IssueFilter, $first: Int!, $after: String) {
          issues(filter: $filter, first: $first, after: $after) {
            nodes { \(issueFields) }
            pageInfo { hasNextPage endCursor }
          }
        }
        """

    /// Who the key acts for: a check that it works, and the app user's id in agent mode.
    public static let viewer = "query BatonViewer { viewer { id name email } }"

    public static let commentCreate = """
        mutation BatonCommentCreate($input: CommentCreateInput!) {
          commentCreate(input: $input) { success comment { id } }
        }
        """

    public static let issueUpdate = """
        mutation BatonIssueUpdate($id: String!, $input: IssueUpdateInput!) {
          issueUpdate(id: $id, input: $input) { success issue { id state { name } } }
        }
        """

    public static let issueTeam = "query BatonIssueTeam($id: String!) { issue(id: $id) { id team { id key } } }"

    public static let teamStates =
        "query BatonTeamStates($id: String!) { team(id: $id) { id states { nodes { id name type } } } }"

    /// One activity of an agent session (SPEC §9.15): `input` is an `AgentActivityCreateInput`
    /// with Baton's own `id`, so a retried send cannot create it twice.
    public static let agentActivityCreate = """
        mutation BatonAgentActivityCreate($input: AgentActivityCreateInput!) {
          agentActivityCreate(input: $input) { success agentActivity { id } }
        }
        """

    /// Whether an activity with Baton's id exists already (before resending one whose first
    /// try's outcome is unknown).
    public static let agentActivity = "query BatonAgentActivity($id: String!) { agentActivity(id: $id) { id } }"

    /// The session's links to Baton's page for its issue (`externalUrls`, SPEC §9.15).
    public static let agentSessionUpdate = """
        mutation BatonAgentSessionUpdate($id: String!, $input: AgentSessionUpdateInput!) {
          agentSessionUpdate(id: $id, input: $input) { success agentSession { id } }
        }
        """

    /// A delegated issue's state type, delegate and its team's `started` states, for
    /// `LinearAgentChannel.startWork` (which then sends `issueUpdate`).
    public static let agentIssue = """
        query BatonAgentIssue($id: String!) {
          issue(id: $id) {
            id state { id type } delegate { id }
            team { id states(filter: { type: { eq: "started" } }) { nodes { id name position } } }
          }
        }
        """

    /// All of the above.
    public static let all = [
        issues, viewer, commentCreate, issueUpdate, issueTeam, teamStates, agentActivityCreate, agentActivity,
        agentSessionUpdate, agentIssue,
    ]
}
