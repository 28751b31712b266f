//! What dose, interval and route does a dosage written only as text give? Prescriptions
//! often carry the regimen as words (FHIR `Dosage.text`: "150 mg orally twice daily",
//! "doxorubicin (60 mg/m² IV)", "6 mg/kg every 3 weeks"); this reads the parts a clinician
//! would read unambiguously and leaves out anything it would have to guess: a range ("every
//! four to six hours", "1-2 tablets"), two different doses of the same kind, an as-needed
//! dose's interval.
//!
//! Written by hand: no maintained Rust crate parses medication instructions ("sigs"), and
//! the vocabulary needed here is small.

/// What a dosage text says, part by part; a part it does not say, or says ambiguously, is
/// `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sig {
    /// The dose and its UCUM unit (`mg`, `g`, `ug`, `mg/kg`, `mg/m2`).
    pub dose: Option<(f64, &'static str)>,
    /// Hours between doses.
    pub interval_h: Option<f64>,
    /// `Oral` or `Intravenous` (local names in the twinpath vocabulary).
    pub route: Option<&'static str>,
    /// "as needed" / "PRN": taken on demand, so no regular interval is read.
    pub as_needed: bool,
}

/// Reads `text`. The maintenance part wins: of "8 mg/kg loading dose, then 6 mg/kg every 3
/// weeks", the part after the last "then" / "followed by" / "thereafter" that names a dose.
pub fn parse(text: &str) -> Sig {
    let tokens = tokenize(text);
    let segments = split_maintenance(&tokens);
    // Doses and intervals come from the last segment that names them; the route may be
    // written anywhere.
    let mut sig = Sig {
        dose: last_named(&segments, dose),
        interval_h: last_named(&segments, interval),
        ..Sig::default()
    };
    sig.route = route(&tokens);
    sig.as_needed = as_needed(&tokens);
    if sig.as_needed {
        sig.interval_h = None;
    }
    sig
}

/// What the last segment that names a part says of it: a segment that names it ambiguously
/// leaves it unread rather than falling back on an earlier (loading) part.
fn last_named<T>(
    segments: &[&[Token]],
    read: impl Fn(&[Token]) -> Result<Option<T>, ()>,
) -> Option<T> {
    segments
        .iter()
        .rev()
        .map(|segment| read(segment))
        .find(|r| !matches!(r, Ok(None)))
        .and_then(Result::ok)
        .flatten()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Word(String),
    /// `/`, `-`, `(`, `,` and the like, kept because "mg/kg" and "1-2" depend on them.
    Mark(char),
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            match number.parse::<f64>() {
                Ok(v) => tokens.push(Token::Number(v)),
                Err(_) => tokens.push(Token::Mark('?')),
            }
        } else if c.is_alphabetic() || c == 'µ' || c == '²' {
            let start = i;
            // "q12h" and "m2" keep their digits inside the word.
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == 'µ' || chars[i] == '²')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            tokens.push(Token::Word(word));
        } else {
            if !c.is_whitespace() {
                tokens.push(Token::Mark(c));
            }
            i += 1;
        }
    }
    // "b.i.d." and "p.o." are the abbreviations without their dots.
    let mut joined: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut k = 0;
    while k < tokens.len() {
        let mut letters = String::new();
        let mut j = k;
        while let (Some(Token::Word(w)), Some(Token::Mark('.'))) =
            (tokens.get(j), tokens.get(j + 1))
        {
            if w.chars().count() != 1 {
                break;
            }
            letters.push_str(w);
            j += 2;
        }
        if letters.chars().count() >= 2 {
            joined.push(Token::Word(letters));
            k = j;
        } else {
            joined.push(tokens[k].clone());
            k += 1;
        }
    }
    joined
}

fn word(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token::Word(w)) => Some(w.as_str()),
        _ => None,
    }
}

fn split_maintenance(tokens: &[Token]) -> Vec<&[Token]> {
    let mut segments = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < tokens.len() {
        let w = word(tokens.get(i));
        let boundary = match w {
            Some("then") | Some("thereafter") => 1,
            Some("followed") if word(tokens.get(i + 1)) == Some("by") => 2,
            _ => 0,
        };
        if boundary > 0 {
            segments.push(&tokens[start..i]);
            start = i + boundary;
            i += boundary;
        } else {
            i += 1;
        }
    }
    segments.push(&tokens[start..]);
    segments
}

/// The unit a dose is written in, as UCUM, and how many tokens it takes.
fn dose_unit(tokens: &[Token]) -> Option<(&'static str, usize)> {
    let mass = match word(tokens.first())? {
        "mg" | "milligram" | "milligrams" => "mg",
        "g" | "gram" | "grams" | "gm" => "g",
        "mcg" | "µg" | "ug" | "microgram" | "micrograms" => "ug",
        _ => return None,
    };
    // "mg/kg", "mg per kg", "mg/m2", "mg/m²", "mg per square metre".
    let per = match (tokens.get(1), word(tokens.get(1))) {
        (Some(Token::Mark('/')), _) => 2,
        (_, Some("per")) => 2,
        _ => return Some((mass, 1)),
    };
    let denominator = word(tokens.get(per));
    let (unit, extra) = match (mass, denominator) {
        ("mg", Some("kg")) => ("mg/kg", 1),
        ("mg", Some("m2" | "m²")) => ("mg/m2", 1),
        ("mg", Some("m")) if tokens.get(per + 1) == Some(&Token::Number(2.0)) => ("mg/m2", 2),
        ("mg", Some("square")) if matches!(word(tokens.get(per + 1)), Some("metre" | "meter")) => {
            ("mg/m2", 2)
        }
        // Another denominator (mg/mL, mg/day) is not a dose this reads.
        _ => return None,
    };
    Some((unit, per + extra))
}

/// The dose of a segment: `Err` when it names two different ones of the same kind.
fn dose(tokens: &[Token]) -> Result<Option<(f64, &'static str)>, ()> {
    let mut absolute: Vec<(f64, &'static str)> = Vec::new();
    let mut relative: Vec<(f64, &'static str)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Token::Number(v) = tokens[i] {
            // "1-2 tablets" or "1 to 2 mg": a range is not a dose.
            let ranged = matches!(tokens.get(i + 1), Some(Token::Mark('-')))
                || word(tokens.get(i + 1)) == Some("to")
                || (i >= 1 && matches!(tokens.get(i - 1), Some(Token::Mark('-'))))
                || (i >= 1 && word(tokens.get(i - 1)) == Some("to"));
            if let Some((unit, len)) = dose_unit(&tokens[i + 1..]) {
                if ranged {
                    return Err(());
                }
                if v > 0.0 && v.is_finite() {
                    match unit {
                        "mg/kg" | "mg/m2" => relative.push((v, unit)),
                        _ => absolute.push((v, unit)),
                    }
                }
                i += 1 + len;
                continue;
            }
        }
        i += 1;
    }
    // An absolute dose (what was given) wins over the per-weight or per-area dose it came from.
    let one = |found: &[(f64, &'static str)]| -> Result<Option<(f64, &'static str)>, ()> {
        let mut distinct: Vec<(f64, &'static str)> = Vec::new();
        for d in found {
            if !distinct.contains(d) {
                distinct.push(*d);
            }
        }
        match distinct.len() {
            0 => Ok(None),
            1 => Ok(Some(distinct[0])),
            _ => Err(()),
        }
    };
    match one(&absolute)? {
        Some(d) => Ok(Some(d)),
        None => one(&relative),
    }
}

fn count_word(w: &str) -> Option<f64> {
    Some(match w {
        "one" | "a" | "an" => 1.0,
        "two" => 2.0,
        "three" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "twelve" => 12.0,
        "other" => 2.0,
        _ => return None,
    })
}

fn hours_of(unit: &str) -> Option<f64> {
    Some(match unit {
        "h" | "hr" | "hrs" | "hour" | "hours" | "hourly" => 1.0,
        "d" | "day" | "days" => 24.0,
        "w" | "wk" | "wks" | "week" | "weeks" => 168.0,
        "month" | "months" => 730.5,
        _ => return None,
    })
}

/// The interval of a segment, in hours: `Err` when it names a range or two different ones.
fn interval(tokens: &[Token]) -> Result<Option<f64>, ()> {
    let mut found: Vec<f64> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        // Words a wording already read ("daily" of "twice daily") are not read again.
        let mut skip = 1;
        let w = word(tokens.get(i));
        let next = word(tokens.get(i + 1));
        let value = match w {
            // Latin abbreviations.
            Some("qd" | "od" | "daily" | "qday") => Some(24.0),
            Some("bid" | "bd") => Some(12.0),
            Some("tid" | "tds") => Some(8.0),
            Some("qid" | "qds") => Some(6.0),
            Some("weekly") => Some(168.0),
            Some("qod") => Some(48.0),
            // "q12h", "q3w", "q24h".
            Some(q) if q.starts_with('q') && q.len() > 2 => {
                let body = &q[1..];
                let digits: String = body.chars().take_while(char::is_ascii_digit).collect();
                let unit = &body[digits.len()..];
                match (digits.parse::<f64>(), hours_of(unit)) {
                    (Ok(n), Some(h)) if n > 0.0 => Some(n * h),
                    _ => None,
                }
            }
            // "q 12 h".
            Some("q") => match (
                tokens.get(i + 1),
                word(tokens.get(i + 2)).and_then(hours_of),
            ) {
                (Some(Token::Number(n)), Some(h)) if *n > 0.0 => Some(n * h),
                _ => None,
            },
            // "once / twice / three times daily, a day, per day, a week".
            Some("once" | "twice" | "thrice") | Some("times") => {
                let count = match w {
                    Some("once") => Some(1.0),
                    Some("twice") => Some(2.0),
                    Some("thrice") => Some(3.0),
                    _ => match tokens.get(i.wrapping_sub(1)) {
                        Some(Token::Number(n)) if i >= 1 => Some(*n),
                        Some(Token::Word(n)) if i >= 1 => count_word(n),
                        _ => None,
                    },
                };
                let (per, read) = match next {
                    Some("a" | "per" | "each" | "every") => (word(tokens.get(i + 2)), 3),
                    other => (other, 2),
                };
                let period = per.and_then(|p| match p {
                    "daily" => Some(24.0),
                    "weekly" => Some(168.0),
                    other => hours_of(other),
                });
                match (count, period) {
                    (Some(c), Some(p)) if c > 0.0 => {
                        skip = read;
                        Some(p / c)
                    }
                    _ => None,
                }
            }
            // "every 12 hours", "every three weeks", "every other day", "every day".
            Some("every" | "each") => {
                let (n, unit_at) = match tokens.get(i + 1) {
                    Some(Token::Number(n)) => (Some(*n), i + 2),
                    Some(Token::Word(n)) => match count_word(n) {
                        Some(c) => (Some(c), i + 2),
                        None => (Some(1.0), i + 1),
                    },
                    _ => (None, i + 1),
                };
                // "every four to six hours": a range is not an interval.
                if matches!(word(tokens.get(unit_at)), Some("to" | "or"))
                    || matches!(tokens.get(unit_at), Some(Token::Mark('-')))
                {
                    return Err(());
                }
                match (n, word(tokens.get(unit_at)).and_then(hours_of)) {
                    (Some(n), Some(h)) if n > 0.0 => Some(n * h),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(v) = value {
            if !found.contains(&v) {
                found.push(v);
            }
        }
        i += skip;
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(Some(found[0])),
        _ => Err(()),
    }
}

fn route(tokens: &[Token]) -> Option<&'static str> {
    let mut found = None;
    for (i, t) in tokens.iter().enumerate() {
        let r = match word(Some(t)) {
            Some("po" | "oral" | "orally") => Some("Oral"),
            Some("mouth") if word(tokens.get(i.wrapping_sub(1))) == Some("by") => Some("Oral"),
            Some("iv" | "intravenous" | "intravenously") => Some("Intravenous"),
            _ => None,
        };
        match (found, r) {
            (None, r) => found = r,
            (Some(a), Some(b)) if a != b => return None,
            _ => {}
        }
    }
    found
}

fn as_needed(tokens: &[Token]) -> bool {
    tokens.iter().enumerate().any(|(i, t)| match word(Some(t)) {
        Some("prn") => true,
        Some("needed") => word(tokens.get(i.wrapping_sub(1))) == Some("as"),
        _ => false,
    })
}

/// The strength of one unit of a single-ingredient solid dose form, in mg, read from an
/// RxNorm clinical-drug name ("lisinopril 10 MG Oral Tablet"): what a dose counted in
/// tablets or capsules (a `doseQuantity` with no unit) multiplies. A combination ("… / …"),
/// a concentration ("MG/ML") or a form that is not counted in units gives `None`.
pub fn unit_strength_mg(rxnorm_name: &str) -> Option<f64> {
    let tokens = tokenize(rxnorm_name);
    if tokens.contains(&Token::Mark('/')) {
        return None;
    }
    let counted = tokens.iter().any(|t| {
        matches!(
            word(Some(t)),
            Some("tablet" | "capsule" | "tablets" | "capsules")
        )
    });
    if !counted {
        return None;
    }
    let mut strengths = tokens
        .windows(2)
        .filter_map(|w| match (&w[0], word(w.get(1))) {
            (Token::Number(v), Some("mg")) => Some(*v),
            (Token::Number(v), Some("mcg" | "ug")) => Some(*v / 1000.0),
            (Token::Number(v), Some("g")) => Some(*v * 1000.0),
            _ => None,
        });
    let first = strengths.next()?;
    (strengths.next().is_none() && first > 0.0).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dose_interval_and_route_from_common_wordings() {
        let s = parse("150 mg orally twice daily");
        assert_eq!(s.dose, Some((150.0, "mg")));
        assert_eq!(s.interval_h, Some(12.0));
        assert_eq!(s.route, Some("Oral"));
        assert_eq!(parse("1 mg by mouth once a day").interval_h, Some(24.0));
        assert_eq!(parse("Take 960 mg PO b.i.d.").interval_h, Some(12.0));
        assert_eq!(parse("Take 960 mg PO b.i.d.").route, Some("Oral"));
        assert_eq!(parse("2 mg q12h").interval_h, Some(12.0));
        assert_eq!(parse("2 mg q 8 h").interval_h, Some(8.0));
        assert_eq!(parse("100 mg three times a day").interval_h, Some(8.0));
        assert_eq!(parse("250 mg every other day").interval_h, Some(48.0));
        assert_eq!(parse("500 mg weekly").interval_h, Some(168.0));
        let s = parse("doxorubicin (60 mg/m² IV)");
        assert_eq!(s.dose, Some((60.0, "mg/m2")));
        assert_eq!(s.route, Some("Intravenous"));
        assert_eq!(s.interval_h, None);
        assert_eq!(parse("0.5 mcg daily").dose, Some((0.5, "ug")));
    }

    #[test]
    fn the_maintenance_dose_wins_over_the_loading_dose() {
        let s = parse("8 mg/kg IV loading dose, then 6 mg/kg every 3 weeks");
        assert_eq!(s.dose, Some((6.0, "mg/kg")));
        assert_eq!(s.interval_h, Some(504.0));
        assert_eq!(s.route, Some("Intravenous"));
        assert_eq!(
            parse("4 mg/kg followed by 2 mg/kg every week").dose,
            Some((2.0, "mg/kg"))
        );
        // An ambiguous maintenance part is not replaced by the loading dose before it.
        assert_eq!(parse("8 mg/kg loading dose, then 4-6 mg/kg").dose, None);
        assert_eq!(
            parse("100 mg daily for a week, then every four to six hours").interval_h,
            None
        );
    }

    #[test]
    fn the_given_dose_wins_over_the_per_area_dose_it_came_from() {
        let s = parse("cyclophosphamide (600 mg/m² IV), 932.59mg");
        assert_eq!(s.dose, Some((932.59, "mg")));
    }

    #[test]
    fn ranges_conflicts_and_as_needed_intervals_are_not_read() {
        assert_eq!(
            parse("Every four to six hours (qualifier value)").interval_h,
            None
        );
        assert_eq!(parse("1-2 mg at night").dose, None);
        assert_eq!(parse("100 mg or 200 mg daily").dose, None);
        let s = parse("400 mg every 6 hours as needed for pain");
        assert!(s.as_needed);
        assert_eq!(s.interval_h, None);
        assert_eq!(s.dose, Some((400.0, "mg")));
        assert_eq!(
            parse("Take as needed."),
            Sig {
                as_needed: true,
                ..Sig::default()
            }
        );
        assert_eq!(parse("5 mg/mL daily").dose, None);
        assert_eq!(parse("orally or intravenously").route, None);
        assert_eq!(parse(""), Sig::default());
    }

    #[test]
    fn strength_of_a_counted_dose_form_from_its_rxnorm_name() {
        assert_eq!(unit_strength_mg("lisinopril 10 MG Oral Tablet"), Some(10.0));
        assert_eq!(
            unit_strength_mg("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"),
            Some(500.0)
        );
        assert_eq!(
            unit_strength_mg("budesonide 0.25 MG/ML Inhalation Suspension"),
            None
        );
        assert_eq!(
            unit_strength_mg("Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet"),
            None
        );
        assert_eq!(unit_strength_mg("PACLitaxel 100 MG Injection"), None);
    }
}
