import BatonTestSupport
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
        #expect(system.gpuCount == 3 && abs((system.totalGPUVRAMGB ?? 0) - (2 * 23.98828125 + 11.994140625)) < 1e-9)
    }

    @Test(arguments: [
        "", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
        "No devices were found", "name, memory.total [MiB], memory.free [MiB]",
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

    /// rocm-smi 6.x `--showproductname --showmeminfo vram --json` on two identical cards and an
    /// MI300X (trimmed of fields Baton does not read).
    static let rocmJSON = """
        {"card0": {"Card Series": "Navi 31 [Radeon RX 7900 XTX]", "Card Model": "0x744c", \
        "Card Vendor": "Advanced Micro Devices, Inc. [AMD/ATI]", "GFX Version": "gfx1100", \
        "VRAM Total Memory (B)": "25753026560", "VRAM Total Used Memory (B)": "1073741824"}, \
        "card1": {"Card Series": "Navi 31 [Radeon RX 7900 XTX]", "VRAM Total Memory (B)": "25753026560", \
        "VRAM Total Used Memory (B)": "2147483648"}, \
        "card10": {"Card series": "AMD Instinct MI300X", "VRAM Total Memory (B)": "205822885888", \
        "VRAM Total Used Memory (B)": "0"}}
        """

    @Test func rocmSMIJSONGroupsIdenticalCards() throws {
        let gpus = HardwareParsers.rocmSMI(Self.rocmJSON)
        #expect(gpus.map(\.name) == ["AMD Radeon RX 7900 XTX", "AMD Instinct MI300X"])
        #expect(gpus.map(\.count) == [2, 1] && gpus.allSatisfy { $0.backend == .rocm && !$0.integrated })
        // 25753026560 B = 23.984375 GiB; the tighter card is 2 GiB used.
        #expect(abs((gpus[0].vramGB ?? 0) - 23.984375) < 1e-9)
        #expect(abs((gpus[0].freeVRAMGB ?? 0) - 21.984375) < 1e-9)
        let system = SystemSpecs(totalRAMGB: 128, availableRAMGB: 100, cpuCores: 32, cpuName: "x", gpus: gpus)
        #expect(system.backend == .rocm && system.gpuCount == 3)
        #expect(abs((system.totalGPUVRAMGB ?? 0) - (2 * 23.984375 + 191.6875)) < 1e-6)
        // Its bandwidth is known by name, so the speed estimate uses it.
        #expect(FitAnalysis.bandwidthGBps(gpuName: gpus[0].name) == 960)
    }

    /// Numbers rocm-smi prints as JSON numbers are read when an Int64 holds them, skipped when
    /// none does (a trapping `Int64(_:)` would end this test process).
    @Test func rocmSMINumbersBeyondInt64AreSkipped() {
        let sample = """
            {"card0": {"Card Series": "Navi 31 [Radeon RX 7900 XTX]", "VRAM Total Memory (B)": 25753026560, \
            "VRAM Total Used Memory (B)": 1e300}, \
            "card1": {"Card Series": "Radeon Pro W6800", "VRAM Total Memory (B)": 1e19}}
            """
        let gpus = HardwareParsers.rocmSMI(sample)
        #expect(gpus.map(\.name) == ["AMD Radeon RX 7900 XTX"])
        #expect(abs((gpus.first?.vramGB ?? 0) - 23.984375) < 1e-9 && gpus.first?.freeVRAMGB == nil)
    }

    @Test func rocmSMITextOutputOfOlderReleases() {
        let sample = """
            ============================ ROCm System Management Interface ============================
            ================================= Memory Usage (Bytes) ===================================
            GPU[0]\t\t: Card series: \t\tNavi 21 [Radeon RX 6800 XT]
            GPU[0]\t\t: VRAM Total Memory (B): 17163091968
            GPU[0]\t\t: VRAM Total Used Memory (B): 17163091968
            GPU[1]\t\t: Card series: \t\tRadeon Pro W6800
            GPU[1]\t\t: VRAM Total Memory (B): 34342961152
            ==========================================================================================
            """
        let gpus = HardwareParsers.rocmSMI(sample)
        #expect(gpus.map(\.name) == ["AMD Radeon RX 6800 XT", "Radeon Pro W6800"])
        #expect(gpus[0].freeVRAMGB == 0 && gpus[1].freeVRAMGB == nil)
        #expect(abs((gpus[1].vramGB ?? 0) - 31.984375) < 1e-9)
    }

    @Test(arguments: [
        "", "ERROR: No AMD GPUs specified", "WARNING: No JSON data to report", "{}", "[1, 2]",
        #"{"card0": {"Card Series": "X"}}"#, #"{"card0": {"VRAM Total Memory (B)": "N/A"}}"#,
        #"{"card0": {"VRAM Total Memory (B)": "0"}}"#, #"{"system": {"Driver version": "6.7.0"}}"#,
        "GPU[0]\t\t: Card series: X", "GPU[x : broken",
    ])
    func rocmSMIWithoutUsableCards(output: String) {
        #expect(HardwareParsers.rocmSMI(output).isEmpty)
    }

    @Test func drmReadsAMDIntelAndNVIDIA() throws {
        let gib = 1024 * 1024 * 1024
        let gpus = HardwareParsers.drm([
            .init(vendor: "0x8086\n"),  // Intel iGPU: no VRAM file
            .init(vendor: "0x1002\n", vramTotal: "\(16 * gib)\n", vramUsed: "\(4 * gib)\n"),
            .init(vendor: "0x1002", vramTotal: "\(16 * gib)", vramUsed: "\(1 * gib)"),
            .init(vendor: "0x1002", vramTotal: "\(512 * 1024 * 1024)", productName: "AMD Radeon Graphics"),  // APU
            .init(vendor: "0x10de", productName: nil),
            .init(vendor: "0x1af4"),  // virtio: not a GPU for inference
            .init(vendor: nil),
        ])
        #expect(gpus.map(\.name) == ["Intel GPU", "AMD GPU", "AMD Radeon Graphics", "NVIDIA GPU"])
        #expect(gpus.map(\.integrated) == [true, false, true, false])
        #expect(gpus[1].count == 2 && gpus[1].vramGB == 16 && gpus[1].freeVRAMGB == 12 && gpus[1].backend == .vulkan)
        #expect(gpus[2].vramGB == nil && gpus[3].vramGB == nil && gpus[3].backend == .cuda)
        // The pool keeps the discrete cards only; NVIDIA's unknown size adds nothing to it. The
        // primary card is the one with the most VRAM; the total counts every card.
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 40, cpuCores: 8, cpuName: "x", gpus: gpus)
        #expect(system.gpuCount == 3 && system.gpuVRAMGB == 16 && system.totalGPUVRAMGB == 32)
        #expect(system.backend == .vulkan)
    }

    @Test func drmWithMalformedFiles() {
        let gpus = HardwareParsers.drm([
            .init(vendor: "0x1002", vramTotal: "lots", vramUsed: "-"), .init(vendor: "0x1002", vramTotal: ""),
            .init(vendor: "garbage", vramTotal: "17179869184"),
        ])
        // An AMD card whose size cannot be read is kept, as integrated-like with no VRAM.
        #expect(gpus.count == 1 && gpus[0].count == 2 && gpus[0].vramGB == nil && gpus[0].integrated)
    }

    /// The reader over a real directory laid out as /sys/class/drm is: cards, their connectors,
    /// and files with the kernel's trailing newline.
    @Test func drmCardsReadsTheSysfsLayout() {
        let root = TemporaryDirectory(prefix: "baton-drm")
        defer { root.remove() }
        root.write("card0/device/vendor", "0x8086\n")
        root.write("card1/device/vendor", "0x1002\n")
        root.write("card1/device/mem_info_vram_total", "25753026560\n")
        root.write("card1/device/mem_info_vram_used", "25753026560\n")
        root.makeFolder("card1-DP-1")
        root.makeFolder("renderD128")
        root.write("version", "drm 1.1.0 20060810\n")
        let cards = SystemDetection.drmCards(root: root.path)
        #expect(
            cards == [
                .init(vendor: "0x8086\n"),
                .init(vendor: "0x1002\n", vramTotal: "25753026560\n", vramUsed: "25753026560\n"),
            ])
        let gpus = HardwareParsers.drm(cards)
        #expect(gpus.count == 2 && gpus[1].freeVRAMGB == 0)
        #expect(SystemDetection.drmCards(root: root.path + "/missing").isEmpty)
    }

    /// A card whose memory nvidia-smi cannot read is kept, size unknown; GB10 (DGX Spark) and
    /// Jetson `nvgpu` parts, or an ATS addressing mode, share the system's memory.
    @Test func nvidiaUnifiedMemoryParts() throws {
        let gb10 = HardwareParsers.nvidiaSMI("NVIDIA GB10, [N/A], [N/A], ATS\n")
        #expect(gb10.count == 1 && gb10[0].vramGB == nil && gb10[0].unifiedMemory)
        let zero = HardwareParsers.nvidiaSMI("NVIDIA GB10, 0, 0\n")
        #expect(zero.count == 1 && zero[0].vramGB == nil && !zero[0].unifiedMemory)
        for parts in [gb10, zero, HardwareParsers.nvidiaSMI("Orin (nvgpu), [N/A], [N/A], N/A\n")] {
            let settled = HardwareParsers.settle(parts, totalRAMGB: 119.7)
            #expect(settled[0].unifiedMemory && settled[0].vramGB == 119.7 && !settled[0].integrated)
            let system = SystemSpecs(totalRAMGB: 119.7, availableRAMGB: 100, cpuCores: 20, cpuName: "x", gpus: settled)
            #expect(system.isUnifiedMemory && system.gpuVRAMGB == 119.7 && system.hasGPU)
        }
        // A discrete card keeps its own memory.
        let rtx = HardwareParsers.settle(
            HardwareParsers.nvidiaSMI("NVIDIA GeForce RTX 4090, 24564, 23000, None\n"), totalRAMGB: 64)
        #expect(!rtx[0].unifiedMemory && abs((rtx[0].vramGB ?? 0) - 23.98828125) < 1e-9)
        // Grouped by name, in name order, the largest size kept.
        let mixed = HardwareParsers.nvidiaSMI("NVIDIA GeForce RTX 4090, 24564, 1\nNVIDIA GeForce RTX 4080, 16376, 1\n")
        #expect(mixed.map(\.name) == ["NVIDIA GeForce RTX 4080", "NVIDIA GeForce RTX 4090"])
    }

    /// rocm-smi's block layout (a line per field): two different cards.
    @Test func rocmSMIBlockLayout() throws {
        let vram = """
            GPU[0]          : VRAM Total Memory (B): 8573157376
            GPU[0]          : VRAM Total Used Memory (B): 60448768
            GPU[1]          : VRAM Total Memory (B): 34208743424
            GPU[1]          : VRAM Total Used Memory (B): 33732509696
            """
        let product = """
            GPU[0]          : Card Series:          AMD Radeon RX 7600
            GPU[0]          : Card Model:           0x7480
            GPU[0]          : Card Vendor:          Advanced Micro Devices, Inc. [AMD/ATI]
            GPU[1]          : Card Series:          AMD Radeon AI PRO R9700
            GPU[1]          : Card Model:           0x7551
            """
        let gpus = HardwareParsers.rocmSMIText(vram: vram, product: product)
        #expect(gpus.map(\.name) == ["AMD Radeon AI PRO R9700", "AMD Radeon RX 7600"])
        #expect(gpus.allSatisfy { $0.count == 1 && $0.backend == .rocm })
        #expect(abs((gpus[1].vramGB ?? 0) - 8_573_157_376 / 1_073_741_824) < 1e-9)
        // Without product names: "AMD GPU".
        let unnamed = HardwareParsers.rocmSMIText(vram: "GPU[0] : VRAM Total Memory (B): 34208743424\n", product: nil)
        #expect(unnamed.map(\.name) == ["AMD GPU"])
    }

    /// A 0.5 GiB APU carve-out beside a discrete card is dropped, not pooled.
    @Test func rocmSMIDropsTheIGPUBesideADiscreteCard() {
        let vram = """
            GPU[0]          : VRAM Total Memory (B): 536870912
            GPU[0]          : VRAM Total Used Memory (B): 100000
            GPU[1]          : VRAM Total Memory (B): 34208743424
            GPU[1]          : VRAM Total Used Memory (B): 200000
            """
        let product = """
            GPU[0]          : Card Series:          AMD Radeon Graphics
            GPU[1]          : Card Series:          AMD Radeon AI PRO R9700
            """
        let gpus = HardwareParsers.rocmSMIText(vram: vram, product: product)
        #expect(gpus.map(\.name) == ["AMD Radeon AI PRO R9700"])
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "x", gpus: gpus)
        #expect(system.gpuCount == 1 && system.totalGPUVRAMGB == 34_208_743_424 / 1_073_741_824)
    }

    /// `Card Series: N/A` (Strix Halo without libdrm_amdgpu) is not a name.
    @Test func rocmSMIPlaceholderNameIsAMDGPU() {
        let gpus = HardwareParsers.rocmSMIText(
            vram: "GPU[0]          : VRAM Total Memory (B): 68719476736\n",
            product: """
                GPU[0]          : Card Series:            N/A
                GPU[0]          : Card Model:             0x1586
                GPU[0]          : GFX Version:            gfx1151
                """)
        #expect(gpus.map(\.name) == ["AMD GPU"] && gpus[0].vramGB == 64)
    }

    /// The table layout of newer rocm-smi: two identical MI50s are two cards.
    @Test func rocmSMITableLayout() {
        let vram = """
            ====================== ROCm System Management Interface ======================
            ================================ Memory Usage ================================
            Device  Node  VRAM Total Memory (B)   VRAM Total Used Memory (B)
            0       2     34342961152             16893952
            1       1     34342961152             33678336
            =============================================================================
            """
        let product = """
            ====================== ROCm System Management Interface ======================
            ================================ Product Info ================================
            Device  Card Series            Card Model  Card Vendor
            0       Instinct MI60 / MI50   0x66a1      Advanced Micro Devices, Inc. [AMD/ATI]
            1       Instinct MI60 / MI50   0x66a1      Advanced Micro Devices, Inc. [AMD/ATI]
            =============================================================================
            """
        let gpus = HardwareParsers.rocmSMIText(vram: vram, product: product)
        #expect(gpus.count == 1 && gpus[0].name == "Instinct MI60 / MI50" && gpus[0].count == 2)
        #expect(abs((gpus[0].vramGB ?? 0) - 34_342_961_152 / 1_073_741_824) < 1e-9)
        let two = HardwareParsers.rocmSMIText(
            vram: """
                Device  Node  VRAM Total Memory (B)   VRAM Total Used Memory (B)
                0       2     8573157376              60448768
                1       1     34208743424             33732509696
                """,
            product: """
                Device  Card Series              Card Model
                0       AMD Radeon RX 7600       0x7480
                1       AMD Radeon AI PRO R9700  0x7551
                """)
        #expect(two.map(\.name) == ["AMD Radeon AI PRO R9700", "AMD Radeon RX 7600"])
        #expect(HardwareParsers.rocmSMIText(vram: vram, product: nil).map(\.count) == [2])
    }

    /// A 32 GiB MI50 reporting the generic "AMD Radeon Graphics" is named by its gfx target, kept
    /// as discrete, and not grouped with the 0.5 GiB Cezanne iGPU of the same generic name.
    @Test func rocmSMIGenericNamesGetTheirGFXTarget() {
        let vram = """
            GPU[0]\t\t: VRAM Total Memory (B): 34342961152
            GPU[0]\t\t: VRAM Total Used Memory (B): 25227759616
            GPU[1]\t\t: VRAM Total Memory (B): 17163091968
            GPU[1]\t\t: VRAM Total Used Memory (B): 7695077376
            GPU[2]\t\t: VRAM Total Memory (B): 536870912
            GPU[2]\t\t: VRAM Total Used Memory (B): 18165760
            """
        let product = """
            GPU[0]\t\t: Card Series: \t\tAMD Radeon Graphics
            GPU[0]\t\t: Card Model: \t\t0x66a0
            GPU[0]\t\t: GFX Version: \t\tgfx906
            GPU[1]\t\t: Card Series: \t\tAMD Instinct MI60 / MI50
            GPU[1]\t\t: GFX Version: \t\tgfx906
            GPU[2]\t\t: Card Series: \t\tAMD Radeon Graphics
            GPU[2]\t\t: GFX Version: \t\tgfx90c
            """
        let gpus = HardwareParsers.settle(HardwareParsers.rocmSMIText(vram: vram, product: product), totalRAMGB: 64)
        #expect(gpus.map(\.name) == ["AMD Instinct MI60 / MI50", "AMD Radeon Graphics (gfx906)"])
        #expect(gpus.allSatisfy { !$0.integrated })
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "x", gpus: gpus)
        #expect(system.gpuCount == 2 && system.gpuName == "AMD Radeon Graphics (gfx906)")
    }

    /// Integrated by name, and the generic-name escape for large cards.
    @Test func integratedGPUNames() {
        #expect(HardwareParsers.isIntegratedGPU(name: "Intel(R) UHD Graphics 770", vramGB: nil))
        #expect(!HardwareParsers.isIntegratedGPU(name: "Intel(R) Arc(TM) A770 Graphics", vramGB: 16))
        #expect(HardwareParsers.isIntegratedGPU(name: "AMD Radeon Graphics", vramGB: 0.5))
        #expect(!HardwareParsers.isIntegratedGPU(name: "AMD Radeon Graphics", vramGB: 32))
        #expect(HardwareParsers.isIntegratedGPU(name: "AMD Radeon 780M Graphics", vramGB: 16))
        #expect(!HardwareParsers.isIntegratedGPU(name: "AMD Radeon RX 7900 XTX", vramGB: 24))
        #expect(!HardwareParsers.isIntegratedGPU(name: "AMD Radeon Pro W7900 Graphics", vramGB: 48))
        #expect(HardwareParsers.isPlaceholderName(" n/a ") && !HardwareParsers.isPlaceholderName("Radeon 8060S"))
    }

    /// A Ryzen AI MAX APU shares all of RAM with its GPU; rocm-smi's unreadable name becomes the
    /// CPU's, and without any AMD card one is made from the CPU's name.
    @Test func strixHaloSharesItsMemory() {
        let cpu = "AMD Ryzen AI MAX+ 395 w/ Radeon 8060S"
        let rocm = HardwareParsers.rocmSMIText(
            vram: "GPU[0]          : VRAM Total Memory (B): 68719476736\n",
            product: "GPU[0]          : Card Series:            N/A\n")
        let gpus = HardwareParsers.settle(rocm, totalRAMGB: 124, cpuName: cpu)
        #expect(gpus.count == 1 && gpus[0].name == cpu + " (integrated)" && gpus[0].vramGB == 124)
        #expect(gpus[0].unifiedMemory && gpus[0].integrated)
        let system = SystemSpecs(totalRAMGB: 124, availableRAMGB: 100, cpuCores: 32, cpuName: cpu, gpus: gpus)
        #expect(
            system.isUnifiedMemory && system.gpuVRAMGB == 124 && GPUFacts.bandwidthGBps(gpuName: gpus[0].name) == 256)
        let made = HardwareParsers.settle([], totalRAMGB: 124, cpuName: cpu)
        #expect(made.count == 1 && made[0].backend == .vulkan && made[0].unifiedMemory)
        // Other Ryzen AI chips keep a small iGPU.
        #expect(HardwareParsers.settle(rocm, totalRAMGB: 32, cpuName: "AMD Ryzen AI 9 HX 370")[0].vramGB == 64)
    }
}
