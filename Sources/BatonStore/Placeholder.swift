public enum BatonStoreModule {}
