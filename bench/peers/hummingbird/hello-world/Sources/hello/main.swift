// Hummingbird 2 hello world on 127.0.0.1:PORT (the first argument), for bench/peers.sh.
import Hummingbird

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8080 : 8080
let router = Router()
router.get("hello") { _, _ in "Hello, world!" }
let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "hummingbird"))
try await app.runService()
