import Foundation
import LocalRedis

/// Generates a throwaway CA plus a server certificate (SAN DNS:localhost, IP:127.0.0.1) and a client certificate signed by it, with the `openssl` command line, into a directory.
///
/// TLS tests need certificates that verify against a known CA without touching the system trust store or
/// checking secrets into the repository. Certificates are valid for 2 days, keys are unencrypted RSA-2048
/// readable only by the current user. Generation takes a second or so (it runs `openssl` five times and blocks
/// the calling thread), so generate once per test suite where possible.
public struct TestCertificateAuthority: Sendable, Hashable {
    /// The directory holding all files; created if missing, never deleted by this type.
    public let directory: String
    /// Self-signed CA certificate (`ca.crt`); give it to clients and as ``LocalRedisTLS/caFile``.
    public let caCertificateFile: String
    /// Server certificate (`server.crt`) for CN=localhost with SAN DNS:localhost and IP:127.0.0.1.
    public let serverCertificateFile: String
    /// Unencrypted key of the server certificate (`server.key`).
    public let serverKeyFile: String
    /// Client certificate (`client.crt`, CN=ipwatcher-test-client) for servers that require client certificates.
    public let clientCertificateFile: String
    /// Unencrypted key of the client certificate (`client.key`).
    public let clientKeyFile: String

    /// TLS settings for ``LocalRedisServerOptions/tls`` using the server certificate and this CA.
    public func serverTLS(requireClientCertificates: Bool = false) -> LocalRedisTLS {
        LocalRedisTLS(
            certificateFile: serverCertificateFile,
            keyFile: serverKeyFile,
            caFile: caCertificateFile,
            requireClientCertificates: requireClientCertificates
        )
    }

    /// Creates the CA, server and client certificates in `directory`, replacing files of the same names.
    ///
    /// Uses its own OpenSSL config file (`openssl.cnf` in `directory`), so the result does not depend on the
    /// system's OpenSSL configuration. Fails with ``TestCertificateError`` carrying
    /// openssl's standard error.
    public static func generate(in directory: String) throws(TestCertificateError) -> TestCertificateAuthority {
        guard let openssl = LocalRedisServer.executablePath(named: "openssl") else {
            throw TestCertificateError(
                "openssl was not found in PATH or in /usr/bin, /usr/local/bin, /usr/sbin, /opt/homebrew/bin; install it with `apt-get install openssl` (Debian/Ubuntu) or `brew install openssl`"
            )
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw TestCertificateError("cannot create \(directory): \(error)")
        }

        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let authority = TestCertificateAuthority(
            directory: directory,
            caCertificateFile: path("ca.crt"),
            serverCertificateFile: path("server.crt"),
            serverKeyFile: path("server.key"),
            clientCertificateFile: path("client.crt"),
            clientKeyFile: path("client.key")
        )
        let configuration = path("openssl.cnf")
        let caKey = path("ca.key")
        do {
            try Data(opensslConfiguration.utf8).write(to: URL(fileURLWithPath: configuration))
        } catch {
            throw TestCertificateError("cannot write \(configuration): \(error)")
        }

        let validity = ["-days", "2", "-sha256"]
        try runOpenSSL(openssl, [
            "req", "-x509", "-config", configuration, "-extensions", "ca_ext",
            "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=ipwatcher-test-ca",
            "-keyout", caKey, "-out", authority.caCertificateFile,
        ] + validity)
        try issue(
            openssl: openssl,
            configuration: configuration,
            commonName: "localhost",
            extensions: "server_ext",
            certificate: authority.serverCertificateFile,
            key: authority.serverKeyFile,
            authority: authority,
            caKey: caKey
        )
        try issue(
            openssl: openssl,
            configuration: configuration,
            commonName: "ipwatcher-test-client",
            extensions: "client_ext",
            certificate: authority.clientCertificateFile,
            key: authority.clientKeyFile,
            authority: authority,
            caKey: caKey
        )
        for key in [caKey, authority.serverKeyFile, authority.clientKeyFile] {
            // openssl's default mode depends on its version and the umask; the owner must read, nobody else.
            chmod(key, 0o600)
        }
        return authority
    }

    /// Creates a key and a certificate signing request, then signs it with the CA.
    private static func issue(
        openssl: String,
        configuration: String,
        commonName: String,
        extensions: String,
        certificate: String,
        key: String,
        authority: TestCertificateAuthority,
        caKey: String
    ) throws(TestCertificateError) {
        let request = certificate + ".csr"
        defer { try? FileManager.default.removeItem(atPath: request) }
        try runOpenSSL(openssl, [
            "req", "-new", "-config", configuration, "-newkey", "rsa:2048", "-nodes",
            "-subj", "/CN=\(commonName)", "-keyout", key, "-out", request, "-sha256",
        ])
        // A random serial instead of -CAcreateserial, so no serial file is left behind and reissued certificates differ.
        let serial = "0x" + (0..<16).map { _ in String(UInt8.random(in: 0...255), radix: 16) }
            .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        try runOpenSSL(openssl, [
            "x509", "-req", "-in", request, "-CA", authority.caCertificateFile, "-CAkey", caKey,
            "-set_serial", serial, "-extfile", configuration, "-extensions", extensions,
            "-out", certificate, "-days", "2", "-sha256",
        ])
    }

    /// Runs openssl with an argument array (no shell) and fails with its standard error.
    private static func runOpenSSL(_ openssl: String, _ arguments: [String]) throws(TestCertificateError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errorPipe = Pipe()
        process.standardError = errorPipe
        do {
            try ProcessLauncher.run(process)
        } catch {
            throw TestCertificateError("cannot run \(openssl): \(error)")
        }
        // Read before waiting so a chatty openssl cannot block on a full pipe.
        let errorOutput = (try? errorPipe.fileHandleForReading.readToEnd()) ?? nil
        let ending = ProcessLauncher.waitForEnding(of: process)
        guard ending.exited, ending.status == 0 else {
            let message = errorOutput.map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw TestCertificateError(
                "`openssl \(arguments.joined(separator: " "))` exited with status \(ending.status): \(message)"
            )
        }
    }

    /// Extension sections referenced by the commands above; `prompt = no` keeps openssl from reading the terminal.
    private static let opensslConfiguration = """
        [req]
        distinguished_name = dn
        prompt = no

        [dn]
        CN = ipwatcher-test

        [ca_ext]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash

        [server_ext]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature, keyEncipherment
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost, IP:127.0.0.1
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid, issuer

        [client_ext]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature, keyEncipherment
        extendedKeyUsage = clientAuth
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid, issuer

        """
}
