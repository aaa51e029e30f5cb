/// Why ``TestCertificateAuthority/generate(in:)`` could not produce the certificates; the description includes
/// openssl's standard error, or says where openssl was looked for.
public struct TestCertificateError: Error, CustomStringConvertible {
    /// What went wrong, ready to print.
    public let message: String

    /// Creates the error with its explanation.
    public init(_ message: String) {
        self.message = message
    }

    /// The message, prefixed so that it reads as a setup failure rather than a failure of the code under test.
    public var description: String { "test certificate generation failed: \(message)" }
}
