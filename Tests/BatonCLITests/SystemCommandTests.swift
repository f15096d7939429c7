import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// `baton system` on this machine, with and without planning overrides.
@Suite struct SystemCommandTests {
    @Test func jsonHasTheNodeAPIsSystemFields() async throws {
        let result = try await BatonBinary.run(["system", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try JSONParser.parse(result.stdout)
        let system = try #require(document["system"])
        #expect(document["node"]?["os"] == "linux")
        #expect((system["total_ram_gb"]?.doubleValue ?? 0) > 0)
        #expect((system["available_ram_gb"]?.doubleValue ?? -1) >= 0)
        let nproc = try ChildProcess.run("/usr/bin/nproc", ["--all"]).stdout.split(separator: "\n").first.flatMap {
            Int($0)
        }
        #expect(system["cpu_cores"]?.intValue.map(Int.init) == nproc)
        #expect(system["cpu_name"]?.stringValue?.isEmpty == false)
        for key in ["has_gpu", "unified_memory"] { #expect(system[key]?.boolValue != nil, "\(key)") }
        #expect(system["gpus"]?.arrayValue != nil && system["gpu_count"]?.intValue != nil)
        #expect(
            ["CUDA", "ROCm", "Vulkan", "SYCL", "Metal", "CPU (x86)", "CPU (ARM)"].contains(
                system["backend"]?.stringValue ?? ""))
    }

    @Test func overridesPlanForAnotherMachine() async throws {
        let result = try await BatonBinary.run([
            "system", "--json", "--ram-gb", "128", "--vram-gb", "80", "--gpu-name", "NVIDIA H100 PCIe",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let system = try #require(try JSONParser.parse(result.stdout)["system"])
        #expect(system["total_ram_gb"] == 128.0 && system["available_ram_gb"] == 128.0)
        #expect(system["has_gpu"] == true && system["gpu_vram_gb"] == 80.0 && system["gpu_name"] == "NVIDIA H100 PCIe")
        let text = try await BatonBinary.run(["system", "--vram-gb", "24", "--gpu-name", "RTX 4090"])
        #expect(text.stdout.contains("GPU      1 × RTX 4090, 24.0 GiB"))
    }

    @Test(arguments: [["--ram-gb", "lots"], ["--vram-gb", "0"], ["--gpu-name", ""], ["extra"]])
    func badOptionsAreUsageErrors(arguments: [String]) async throws {
        let result = try await BatonBinary.run(["system"] + arguments)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("baton: "))
    }
}
