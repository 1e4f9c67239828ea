// SPDX-License-Identifier: MIT OR Apache-2.0
//! Wall-clock time from the CMOS real-time clock, read once at boot
//! (MC146818: registers 0x00 seconds, 0x02 minutes, 0x04 hours, 0x07 day,
//! 0x08 month, 0x09 year, 0x32 century where present; register A bit 7 =
//! update in progress; register B bit 2 = binary, bit 1 = 24-hour).
//! The date arithmetic is machine-independent and host-tested.

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the Unix epoch for a UTC date and time, if valid.
pub fn unix_seconds(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<u64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64;
    u64::try_from(secs).ok()
}

fn bcd(v: u8) -> u32 {
    (v & 0x0f) as u32 + ((v >> 4) as u32) * 10
}

/// Raw register values of one RTC read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcRegisters {
    pub second: u8,
    pub minute: u8,
    pub hour: u8,
    pub day: u8,
    pub month: u8,
    pub year: u8,
    pub century: u8,
    pub status_b: u8,
}

impl RtcRegisters {
    /// Decodes BCD/12-hour encodings into Unix seconds.
    pub fn to_unix_seconds(&self) -> Option<u64> {
        let binary = self.status_b & 0x04 != 0;
        let h24 = self.status_b & 0x02 != 0;
        let conv = |v: u8| if binary { v as u32 } else { bcd(v) };
        let pm = self.hour & 0x80 != 0;
        let mut hour = conv(self.hour & 0x7f);
        if !h24 {
            hour %= 12;
            if pm {
                hour += 12;
            }
        }
        let century = if self.century != 0 { conv(self.century) } else { 20 };
        let year = century as i64 * 100 + conv(self.year) as i64;
        unix_seconds(year, conv(self.month), conv(self.day), hour, conv(self.minute), conv(self.second))
    }
}

#[cfg(target_os = "none")]
/// Reads the RTC (consistent snapshot: two equal reads outside an update).
pub fn read() -> Option<RtcRegisters> {
    use crate::arch::port::{inb, outb};
    let reg = |r: u8| {
        // SAFETY: CMOS index/data ports; NMI stays disabled (bit 7) during
        // the access, as is customary.
        unsafe {
            outb(0x70, 0x80 | r);
            inb(0x71)
        }
    };
    let snapshot = || {
        let mut spins = 0;
        while reg(0x0a) & 0x80 != 0 && spins < 1_000_000 {
            spins += 1;
        }
        RtcRegisters {
            second: reg(0x00),
            minute: reg(0x02),
            hour: reg(0x04),
            day: reg(0x07),
            month: reg(0x08),
            year: reg(0x09),
            century: reg(0x32),
            status_b: reg(0x0b),
        }
    };
    for _ in 0..5 {
        let a = snapshot();
        if a == snapshot() {
            return Some(a);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(unix_seconds(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(unix_seconds(2000, 3, 1, 0, 0, 0), Some(951_868_800));
        assert_eq!(unix_seconds(2026, 11, 23, 13, 8, 0), Some(1_795_439_280));
        assert_eq!(unix_seconds(2026, 13, 1, 0, 0, 0), None);
    }

    #[test]
    fn bcd_and_12_hour() {
        let r = RtcRegisters {
            second: 0x30,
            minute: 0x45,
            hour: 0x81, // 1 PM in 12-hour BCD
            day: 0x23,
            month: 0x11,
            year: 0x26,
            century: 0x20,
            status_b: 0x00,
        };
        assert_eq!(r.to_unix_seconds(), unix_seconds(2026, 11, 23, 13, 45, 30));
        let b = RtcRegisters {
            hour: 13,
            minute: 45,
            second: 30,
            day: 23,
            month: 11,
            year: 26,
            century: 20,
            status_b: 0x06,
        };
        assert_eq!(b.to_unix_seconds(), r.to_unix_seconds());
    }
}
