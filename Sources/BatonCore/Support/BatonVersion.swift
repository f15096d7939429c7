/// The version this binary reports in `/health`, `baton version` and the OpenAPI document.
public enum BatonVersion {
    public static let current = "0.1.0"
}
