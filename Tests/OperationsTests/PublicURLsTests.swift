import Operations
import Testing

/// The addresses users are shown (push output, `apps:info`, the API's `web_url`): HTTPS when the
/// router has a TLS listener, as Heroku's `web_url` is; each port omitted when it is its scheme's.
@Suite(.timeLimit(.minutes(1))) struct PublicURLsTests {
    @Test func theWebURLIsHTTPSWhenTheRouterServesIt() {
        #expect(PublicURLs(domain: "example.com", routerPort: 8080, httpsPort: 8443).webURL("shop") == "https://shop.example.com:8443/")
        #expect(PublicURLs(domain: "example.com", routerPort: 80, httpsPort: 443).webURL("shop") == "https://shop.example.com/")
    }

    @Test func withoutATLSListenerItIsPlainHTTP() {
        #expect(PublicURLs(domain: "example.com", routerPort: 8080).webURL("shop") == "http://shop.example.com:8080/")
        #expect(PublicURLs(domain: "example.com", routerPort: 80).webURL("shop") == "http://shop.example.com/")
    }

    @Test func theGitURLOmitsPort22() {
        #expect(PublicURLs(sshHost: "git.example.com", sshPort: 22).gitURL("shop") == "ssh://git@git.example.com/shop.git")
        #expect(PublicURLs(sshHost: "git.example.com", sshPort: 2222).gitURL("shop") == "ssh://git@git.example.com:2222/shop.git")
    }
}
