// LeakSanitizer reports as leaked the boxes of an indirect enum that a global still holds: Swift
// keeps the enum's case in spare bits of the pointer, so the scan does not recognise it.
//   swiftc -sanitize=address -g bench/sanitizers/enum-lsan.swift -o /tmp/enum-lsan && /tmp/enum-lsan
// Prints 1, then "Direct leak" reports for allocations made in make(); exit status 1.
indirect enum Node {
    case leaf(Int)
    case pair(Node, Node)
}
nonisolated(unsafe) var tree: [Node] = []

@inline(never) func make() {
    tree = [.pair(.leaf(1), .pair(.leaf(2), .leaf(3)))]
}

make()
print(tree.count)
