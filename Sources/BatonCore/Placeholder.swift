public enum BatonCoreModule { public static var migrationCount: Int { EmbeddedResources.migrations.count } }
