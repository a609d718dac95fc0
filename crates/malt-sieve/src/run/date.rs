//! The `date` and `currentdate` tests (RFC 5260 §4-§5).
//!
//! Invariants: the zone is `:zone` when given, the header's own with `:originalzone`, else the
//! server's (RFC 5260 §4.1, from [`crate::input::Context::now`]); a field that holds no valid
//! date, or an unknown date part, gives no value; `currentdate` sees one moment per run.

use super::headers::select_index;
use super::{Frame, Interpreter};
use crate::datetime::{ZonedTime, date_part, parse_header_date};
use crate::ir::{Index, MatchSpec, Str, StringList, Zone};

impl Interpreter<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn date_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        index: Option<Index>,
        zone: &Zone,
        header: &Str,
        part: &Str,
        keys: &StringList,
    ) -> Result<bool, String> {
        let header = self.expand(frame, header);
        let part = self.expand(frame, part);
        let local = self.now().1;
        let fields: Vec<&str> = self.message.header_values(&header).collect();
        let values: Vec<String> = select_index(fields, index)
            .into_iter()
            .filter_map(|value| parse_header_date(&header, value))
            .filter_map(|time| date_part(in_zone(time, zone, local), &part))
            .collect();
        self.match_values(frame, spec, &values, values.len(), keys)
    }

    pub(super) fn current_date_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        zone: &Zone,
        part: &Str,
        keys: &StringList,
    ) -> Result<bool, String> {
        let part = self.expand(frame, part);
        let (timestamp, local) = self.now();
        let now = ZonedTime {
            timestamp,
            offset_minutes: local,
        };
        let values: Vec<String> = date_part(in_zone(now, zone, local), &part).into_iter().collect();
        self.match_values(frame, spec, &values, values.len(), keys)
    }
}

fn in_zone(time: ZonedTime, zone: &Zone, local: i32) -> ZonedTime {
    match zone {
        Zone::Local => time.in_zone(local),
        Zone::Offset(minutes) => time.in_zone(*minutes),
        Zone::Original => time,
    }
}
