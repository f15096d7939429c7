import Testing
@testable import BatonCore
