public enum BatonAPIModule { public static var openapiJSON: String { EmbeddedResources.openapiJSON } }
