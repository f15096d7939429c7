import Testing

@testable import BatonFit

/// Each parser on captured output, and on the malformed kinds a real machine produces.
@Suite struct HardwareParsersTests {
    @Test func meminfo() throws {
        let sample = """
            MemTotal:       65253476 kB
            MemFree:         1234567 kB
            MemAvailable:   43077008 kB
            Buffers:          423420 kB
            """
        let parsed = try #require(HardwareParsers.meminfo(sample))
        #expect(abs(parsed.totalGB - 62.23) < 0.01 && abs(parsed.availableGB - 41.08) < 0.01)
        // An old kernel without MemAvailable falls back to MemFree.
        let old = try #require(HardwareParsers.meminfo("MemTotal: 2097152 kB\nMemFree: 1048576 kB\n"))
        #expect(old.totalGB == 2 && old.availableGB == 1)
        #expect(HardwareParsers.meminfo("") == nil)
        #expect(HardwareParsers.meminfo("garbage\nMemTotal: lots\n") == nil)
    }

    @Test func cpuinfo() {
        let x86 = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Core(TM) Ultra 7 165U

            processor\t: 1
            model name\t: Intel(R) Core(TM) Ultra 7 165U
            """
        #expect(HardwareParsers.cpuinfo(x86) == (2, "Intel(R) Core(TM) Ultra 7 165U"))
        let arm = "processor\t: 0\nBogoMIPS\t: 108.00\n\nprocessor\t: 1\n\nHardware\t: BCM2835\n"
        #expect(HardwareParsers.cpuinfo(arm) == (2, "BCM2835"))
        #expect(HardwareParsers.cpuinfo("") == (1, "unknown CPU"))
    }

    @Test func nvidiaSMIGroupsIdenticalCards() throws {
        let sample = """
            NVIDIA GeForce RTX 4090, 24564, 23012
            NVIDIA GeForce RTX 4090, 24564, 20480
            NVIDIA RTX A2000 12GB, 12282, 12000
            """
        let gpus = HardwareParsers.nvidiaSMI(sample)
        #expect(gpus.count == 2)
        #expect(gpus[0].name == "NVIDIA GeForce RTX 4090" && gpus[0].count == 2 && gpus[0].backend == .cuda)
        #expect(abs((gpus[0].vramGB ?? 0) - 23.98828125) < 1e-9)
        #expect(gpus[0].freeVRAMGB == 20)  // the tighter card
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "x", gpus: gpus)
        #expect(system.gpuCount == 3 && abs((system.gpuVRAMGB ?? 0) - (2 * 23.98828125 + 11.994140625)) < 1e-9)
    }

    @Test(arguments: [
        "", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
        "No devices were found", "name, memory.total [MiB], memory.free [MiB]", "NVIDIA X, [N/A], [N/A]",
    ])
    func nvidiaSMIWithoutUsableCards(output: String) {
        #expect(HardwareParsers.nvidiaSMI(output).isEmpty)
    }

    @Test func integratedGPUsLeaveThePoolWhenADiscreteOneExists() {
        let system = SystemSpecs(
            totalRAMGB: 32, availableRAMGB: 16, cpuCores: 8, cpuName: "x",
            gpus: [
                GPU(name: "Intel UHD 770", vramGB: 1, backend: .vulkan, integrated: true),
                GPU(name: "NVIDIA RTX 3060", vramGB: 12, backend: .cuda),
            ])
        #expect(system.gpuVRAMGB == 12 && system.gpuName == "NVIDIA RTX 3060" && system.backend == .cuda)
        let none = SystemSpecs(totalRAMGB: 8, availableRAMGB: 4, cpuCores: 4, cpuName: "x", cpuBackend: .cpuARM)
        #expect(!none.hasGPU && none.gpuVRAMGB == nil && none.backend == .cpuARM)
    }
}
