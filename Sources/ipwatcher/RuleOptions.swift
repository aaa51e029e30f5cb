import ArgumentParser
import Detection

/// `--threshold`, `--window` and `--mode`: the detection rule that `feed` judges by and `demo` runs with.
///
/// For `feed` they must match the worker's (`detection.*`), or the ground truth is judged by another rule.
struct RuleOptions: ParsableArguments {
    @Option(help: "Requests per window that make a bot (the worker's detection.threshold).")
    var threshold: Int = 15

    @Option(help: "Window length in seconds (the worker's detection.window).")
    var window: Int = 60

    @Option(help: "fixed, sliding or rolling (the worker's detection.mode).")
    var mode: String = "fixed"

    func validate() throws {
        guard DetectionRule.Mode(rawValue: mode) != nil else { throw ValidationError("--mode must be fixed, sliding or rolling") }
    }

    /// The rule; ranges are checked by the command that uses it (a feed accepts any threshold a worker does).
    var rule: DetectionRule {
        DetectionRule(mode: DetectionRule.Mode(rawValue: mode) ?? .fixed, threshold: threshold, windowSeconds: window)
    }
}
