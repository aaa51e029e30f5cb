/// A failure in the test setup or in what a deployment step produced, with a readable explanation.
struct DeploymentTestError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
