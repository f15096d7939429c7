// swift-tools-version:6.0
// A throwaway benchmark peer for bench/peers.sh: Hummingbird 2's hello world. Not part of Baton
// (Baton has no package dependencies); built only by that script, its output git-ignored. It sits
// in hello-world/ because SwiftPM names a root package after its folder, and one named
// "hummingbird" would clash with the dependency of that name.
import PackageDescription

let package = Package(
    name: "hummingbird-hello",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "hello", dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Sources/hello")
    ]
)
