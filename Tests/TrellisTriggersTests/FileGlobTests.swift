import Testing
@testable import TrellisTriggers

struct FileGlobTests {
    @Test(arguments: [
        ("*", "data.csv", true),
        ("*.csv", "data.csv", true),
        ("*.csv", "data.csv.bak", false),
        ("*.csv", ".csv", true),
        ("data-?.json", "data-1.json", true),
        ("data-?.json", "data-12.json", false),
        ("data-?.json", "data-.json", false),
        ("[abc]*", "bravo", true),
        ("[abc]*", "delta", false),
        ("log-[0-9][0-9].txt", "log-07.txt", true),
        ("log-[0-9][0-9].txt", "log-7a.txt", false),
        ("[!x]*", "yes", true),
        ("[!x]*", "xray", false),
        ("[^x]*", "xray", false),
        ("[]]", "]", true),
        ("[!]]", "a", true),
        ("[a-]", "-", true),
        ("a*b*c", "axxbyyc", true),
        ("a*b*c", "axxbyy", false),
        ("*a*a*a", "aaaa", true),
        ("**.csv", "x.csv", true),
        ("\\*.csv", "*.csv", true),
        ("\\*.csv", "x.csv", false),
        ("Report.CSV", "report.csv", false),
        ("??", "äb", true),
    ])
    func matchTable(pattern: String, name: String, expected: Bool) throws {
        let glob = try FileGlob(pattern)
        #expect(glob.matches(name) == expected)
    }

    @Test(arguments: [
        (".hidden.csv", false), ("upload.csv.tmp", false), ("upload.csv.part", false), ("upload.csv", true),
        ("upload.tmp.csv", true), ("a.TMP", true),
    ])
    func acceptsSkipsTemporaryNames(name: String, expected: Bool) throws {
        let glob = try FileGlob("*")
        #expect(glob.accepts(name) == expected)
    }

    @Test(arguments: ["", "[abc", "[!", "a\\", "dir/*.csv", "[z-a]"])
    func invalidPatternThrows(pattern: String) {
        #expect(throws: FileGlob.ParseError.self) { try FileGlob(pattern) }
    }
}
