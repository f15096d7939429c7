import Testing

@testable import BatonCore

@Suite struct EventTests {
    let event = Event(
        id: 7, type: "job.completed", tenant: "acme", issue: "ENG-1", at: "2026-11-22T10:00:00.000Z",
        data: #"{"job":3}"#)

    @Test func rendersAsOneJSONObject() {
        #expect(
            event.json
                == #"{"id":7,"type":"job.completed","at":"2026-11-22T10:00:00.000Z","tenant":"acme","issue":"ENG-1","data":{"job":3}}"#
        )
        let bare = Event(id: 1, type: "t", tenant: nil, issue: nil, at: "x", data: "")
        #expect(bare.json == #"{"id":1,"type":"t","at":"x","tenant":null,"issue":null,"data":{}}"#)
    }

    @Test func emptyFilterMatchesEverything() {
        #expect(EventFilter().matches(event))
    }

    @Test func typeFilterMatchesExactlyOrByPrefix() {
        #expect(EventFilter(types: ["job.completed"]).matches(event))
        #expect(!EventFilter(types: ["job.complete"]).matches(event))
        #expect(EventFilter(types: ["audit.appended", "job.*"]).matches(event))
        #expect(!EventFilter(types: ["jobs.*"]).matches(event))
        #expect(!EventFilter(types: ["worker.*"]).matches(event))
    }

    @Test func issueAndTenantFilters() {
        #expect(EventFilter(issue: "ENG-1").matches(event))
        #expect(!EventFilter(issue: "ENG-2").matches(event))
        #expect(EventFilter(tenant: "acme").matches(event))
        #expect(!EventFilter(tenant: "other").matches(event))
        let global = Event(id: 2, type: "service.started", tenant: nil, issue: nil, at: "x", data: "{}")
        // Instance events (no tenant) reach a tenant-filtered subscriber only when it may see them.
        #expect(!EventFilter(tenant: "other").matches(global))
        #expect(EventFilter(tenant: "other", instance: true).matches(global))
        #expect(EventFilter().matches(global))
    }

    /// Baton's followers of issue jobs see only events that carry an issue.
    @Test func issuesOnlySkipsEventsWithoutAnIssue() {
        let adHoc = Event(id: 3, type: "job.completed", tenant: "acme", issue: nil, at: "x", data: #"{"id":4}"#)
        let filter = EventFilter(types: ["job.completed"], issuesOnly: true)
        #expect(filter.matches(event))
        #expect(!filter.matches(adHoc))
        #expect(EventFilter(types: ["job.completed"]).matches(adHoc))
    }
}
