import Testing
import TrellisTriggers

@Suite struct CallbackURLTests {
    @Test func validURLs() throws {
        let cases: [(text: String, host: String, port: Int, target: String)] = [
            ("http://127.0.0.1:9000/done?token=t1", "127.0.0.1", 9000, "/done?token=t1"),
            ("http://localhost/cb", "localhost", 80, "/cb"),
            ("HTTP://LOCALHOST:81", "localhost", 81, "/"),
            ("http://[::1]:8080/a/b", "::1", 8080, "/a/b"),
            ("http://127.0.0.1?x=1", "127.0.0.1", 80, "/?x=1"),
        ]
        for testCase in cases {
            let url = try CallbackURL.parse(testCase.text)
            #expect(url.host == testCase.host, "\(testCase.text)")
            #expect(url.port == testCase.port, "\(testCase.text)")
            #expect(url.target == testCase.target, "\(testCase.text)")
        }
    }

    @Test func invalidURLs() {
        let cases = [
            "https://127.0.0.1/", "ftp://127.0.0.1/", "127.0.0.1:80/", "http://example.com/", "http://user@127.0.0.1/",
            "http://127.0.0.1/#frag", "http://127.0.0.1:99999/", "http://127.0.0.1:/", "http://[::1/", "http://[nope]/",
            "http://127.0.0.1/a b", "http://999.0.0.1/",
        ]
        for text in cases {
            #expect(throws: CallbackURLError.self, "\(text)") { try CallbackURL.parse(text) }
        }
    }

    @Test func descriptionDropsQuery() throws {
        let url = try CallbackURL.parse("http://[::1]:9000/done?token=secret")
        #expect(url.description == "http://[::1]:9000/done")
        #expect(url.urlString == "http://[::1]:9000/done?token=secret")
    }
}
