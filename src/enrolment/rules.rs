//! Pure rules of enrolment.

/// How early before the start a check-in opens (minutes).
pub const CHECKIN_OPENS_MIN: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Enrolled,
    Waiting,
}

/// A new enrolment gets a seat while seats are left, else the waiting list.
pub fn place_for(taken: i64, capacity: i64) -> Place {
    if taken < capacity {
        Place::Enrolled
    } else {
        Place::Waiting
    }
}

/// Check-in is open from a little before the start to the end.
pub fn check_in_window(now: i64, starts_at: i64, ends_at: i64) -> Result<(), String> {
    if now < starts_at - CHECKIN_OPENS_MIN * 60_000 {
        return Err(format!("签到在开始前 {CHECKIN_OPENS_MIN} 分钟开放"));
    }
    if now > ends_at {
        return Err("本场已结束，不能再签到".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn window() {
        let (s, e) = (1_000_000_000, 1_000_000_000 + 3_600_000);
        assert!(check_in_window(s - 31 * 60_000, s, e).is_err());
        assert!(check_in_window(s - 30 * 60_000, s, e).is_ok());
        assert!(check_in_window(e, s, e).is_ok());
        assert!(check_in_window(e + 1, s, e).unwrap_err().contains("结束"));
    }

    proptest! {
        /// Filling places one by one never seats more than the capacity.
        #[test]
        fn never_more_than_capacity(capacity in 1i64..50, arrivals in 0usize..120) {
            let mut seated = 0;
            for _ in 0..arrivals {
                if place_for(seated, capacity) == Place::Enrolled {
                    seated += 1;
                }
            }
            prop_assert_eq!(seated, (arrivals as i64).min(capacity));
        }
    }
}
