/// Reads the client address and the time from one line of a common or combined format access log.
///
/// `203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "curl/8"`: the first field is
/// the address (nginx's `$remote_addr`, Apache's `%h`), the first `[` opens the time. Only those two are read; the
/// rest of the line, however long or odd, is never looked at. Allocation-free: it runs once per line of logs of
/// millions of lines.
public enum CommonLogLine {
    /// The address and the time in Unix milliseconds, or nil when the line has neither an address first nor a
    /// valid time in brackets.
    public static func parse(_ line: UnsafeRawBufferPointer) -> (address: IPAddress, milliseconds: Int64)? {
        let count = line.count
        var space = 0
        while space < count && line[space] != ASCII.space { space += 1 }
        guard space < count, let address = IPAddress.parse(UnsafeRawBufferPointer(rebasing: line[0..<space])) else {
            return nil
        }
        var open = space + 1
        while open < count && line[open] != UInt8(ascii: "[") { open += 1 }
        guard open + 27 < count, line[open + 27] == UInt8(ascii: "]"),
            let milliseconds = time(UnsafeRawBufferPointer(rebasing: line[(open + 1)..<(open + 27)]))
        else { return nil }
        return (address, milliseconds)
    }

    /// `10/Oct/2000:13:55:36 -0700` (exactly 26 bytes) in Unix milliseconds; nil when it is not such a time.
    public static func time(_ text: UnsafeRawBufferPointer) -> Int64? {
        guard text.count == 26, text[2] == UInt8(ascii: "/"), text[6] == UInt8(ascii: "/"),
            text[11] == UInt8(ascii: ":"), text[14] == UInt8(ascii: ":"), text[17] == UInt8(ascii: ":"),
            text[20] == ASCII.space
        else { return nil }
        guard let day = digits(text, 0, 2), let year = digits(text, 7, 4), let hour = digits(text, 12, 2),
            let minute = digits(text, 15, 2), let second = digits(text, 18, 2), let zoneHours = digits(text, 22, 2),
            let zoneMinutes = digits(text, 24, 2), let month = month(text[3], text[4], text[5])
        else { return nil }
        let sign = text[21]
        guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), day >= 1, day <= daysIn(month, of: year),
            hour < 24, minute < 60, second < 61, zoneHours < 24, zoneMinutes < 60
        else { return nil }
        let zone = (zoneHours * 60 + zoneMinutes) * 60 * (sign == UInt8(ascii: "-") ? -1 : 1)
        let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return (seconds - zone) * 1000
    }

    private static func digits(_ text: UnsafeRawBufferPointer, _ start: Int, _ length: Int) -> Int64? {
        var value: Int64 = 0
        for index in start..<(start + length) {
            let digit = text[index] &- ASCII.zero
            guard digit <= 9 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }

    /// The month number (1…12) of its English three-letter name, in the case web servers write it.
    private static func month(_ first: UInt8, _ second: UInt8, _ third: UInt8) -> Int64? {
        switch (UInt32(first) << 16) | (UInt32(second) << 8) | UInt32(third) {
        case 0x4A_61_6E: 1  // Jan
        case 0x46_65_62: 2  // Feb
        case 0x4D_61_72: 3  // Mar
        case 0x41_70_72: 4  // Apr
        case 0x4D_61_79: 5  // May
        case 0x4A_75_6E: 6  // Jun
        case 0x4A_75_6C: 7  // Jul
        case 0x41_75_67: 8  // Aug
        case 0x53_65_70: 9  // Sep
        case 0x4F_63_74: 10  // Oct
        case 0x4E_6F_76: 11  // Nov
        case 0x44_65_63: 12  // Dec
        default: nil
        }
    }

    private static func daysIn(_ month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date, in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
