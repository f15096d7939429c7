import BatonCore
import BatonJSON

/// Score weights from `router.weights`; the score is normalised so it stays 0–100 whatever they sum to.
public struct RouterWeights: Sendable, Equatable {
    public var headroom: Double
    public var tier: Double
    public var specialisation: Double
    public var modelFit: Double
    public var reliability: Double
    public var stickiness: Double

    /// The schema's defaults.
    public init() { self.init(config: [:]) }

    /// `router.weights` of the effective configuration.
    public init(config effective: JSONValue) {
        let config = ConfigReader(effective)
        headroom = config.double("router.weights.headroom")
        tier = config.double("router.weights.tier")
        specialisation = config.double("router.weights.specialisation")
        modelFit = config.double("router.weights.model_fit")
        reliability = config.double("router.weights.reliability")
        stickiness = config.double("router.weights.stickiness")
    }

    var total: Double { headroom + tier + specialisation + modelFit + reliability + stickiness }
}
