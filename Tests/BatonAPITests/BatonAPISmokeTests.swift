import Testing
@testable import BatonAPI
