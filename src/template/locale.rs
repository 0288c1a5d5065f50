//! Locale and currency tables for the formatting filters.
//!
//! The data is a small, hand-picked subset of CLDR: per locale the decimal
//! and group separators, where the currency symbol goes, whether a percent
//! sign is spaced, three date patterns and the month and weekday names of its
//! language. The currency table holds the ISO 4217 minor units of every
//! currency that does not use two decimals, and the symbols of common
//! currencies.
//!
//! Deliberate simplifications: digits are always Western (also for `ar`),
//! the minus sign is always ASCII `-` and leads the whole amount, and every
//! locale groups from four digits on (CLDR's "minimum grouping digits" of
//! `es` and `pl` is not applied, so Polish prints `1 234,50 zł`).
//!
//! Look locales up with [`locale`]; see [`SUPPORTED_LOCALES`] for the list.

/// No-break space (U+00A0): the space between amount and currency symbol,
/// and the group separator of `de-AT`, `pl`, `pt-PT` and `sv`.
pub const NBSP: &str = "\u{a0}";

/// Narrow no-break space (U+202F): the French group separator and the space
/// before a French percent sign.
pub const NNBSP: &str = "\u{202f}";

/// Where a locale writes the currency symbol relative to the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolPosition {
    /// `$1,234.50`, `CHF 1’234.50`.
    Before,
    /// `1.234,50 €`.
    After,
}

/// Named date styles of a locale (the `format` argument of the `date`
/// filter, besides `iso` and `%`-patterns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// Numeric: `11/2/2026` (en-US), `02.11.2026` (de).
    Short,
    /// Abbreviated month where the locale has one: `Nov 2, 2026`.
    Medium,
    /// Full month name: `November 2, 2026`, `2. November 2026`.
    Long,
}

/// Month and weekday names of one language.
#[derive(Debug)]
pub struct DateNames {
    /// Full month names as used inside a date (`%B`); genitive in Polish.
    months: [&'static str; 12],
    /// Full month names standing alone (`%OB`), e.g. in a heading.
    months_standalone: [&'static str; 12],
    /// Abbreviated month names (`%b`).
    months_abbr: [&'static str; 12],
    /// Weekday names (`%A`), Monday first.
    weekdays: [&'static str; 7],
    /// Abbreviated weekday names (`%a`), Monday first.
    weekdays_abbr: [&'static str; 7],
}

/// Formatting conventions of one locale.
///
/// Obtain one with [`locale`]; all locales are `'static` table entries.
#[derive(Debug)]
pub struct Locale {
    tag: &'static str,
    decimal: &'static str,
    group: &'static str,
    symbol_position: SymbolPosition,
    symbol_spaced: bool,
    percent_separator: &'static str,
    date_short: &'static str,
    date_medium: &'static str,
    date_long: &'static str,
    names: &'static DateNames,
    /// Currency symbols that differ from [`Currency::symbol`] in this locale.
    symbols: &'static [(&'static str, &'static str)],
}

impl Locale {
    /// The canonical tag, e.g. `de-DE` (or `ar`, which has no region).
    pub fn tag(&self) -> &'static str {
        self.tag
    }

    /// The decimal separator, e.g. `,` for `de-DE`.
    pub fn decimal_separator(&self) -> &'static str {
        self.decimal
    }

    /// The thousands group separator, e.g. `.` for `de-DE`, U+202F for `fr`.
    pub fn group_separator(&self) -> &'static str {
        self.group
    }

    /// Whether the currency symbol goes before or after the amount.
    pub fn symbol_position(&self) -> SymbolPosition {
        self.symbol_position
    }

    /// Whether a no-break space separates amount and currency symbol.
    ///
    /// Even when this is `false`, a symbol that ends (or starts) with a
    /// letter next to the digits is spaced: `CHF 12.00` in en-US.
    pub fn symbol_spaced(&self) -> bool {
        self.symbol_spaced
    }

    /// What goes between a number and its percent sign: empty, [`NBSP`] or
    /// [`NNBSP`].
    pub fn percent_separator(&self) -> &'static str {
        self.percent_separator
    }

    /// The `%`-pattern of a named date style.
    pub fn date_pattern(&self, style: DateStyle) -> &'static str {
        match style {
            DateStyle::Short => self.date_short,
            DateStyle::Medium => self.date_medium,
            DateStyle::Long => self.date_long,
        }
    }

    /// The symbol this locale uses for an ISO 4217 code, if it has one.
    ///
    /// `None` means the code itself is the symbol (`CHF`, unknown codes).
    /// `code` must be upper case.
    pub fn currency_symbol(&self, code: &str) -> Option<&'static str> {
        self.symbols
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, s)| *s)
            .or_else(|| currency(code).and_then(|c| c.symbol))
    }

    /// Full month name for use inside a date (`%B`); `month` is 1..=12.
    ///
    /// Polish uses the genitive here (`2 listopada 2026`).
    pub fn month_name(&self, month: u8) -> &'static str {
        pick(&self.names.months, month)
    }

    /// Full month name standing alone (`%OB`); `month` is 1..=12.
    pub fn month_name_standalone(&self, month: u8) -> &'static str {
        pick(&self.names.months_standalone, month)
    }

    /// Abbreviated month name (`%b`); `month` is 1..=12.
    pub fn month_abbr(&self, month: u8) -> &'static str {
        pick(&self.names.months_abbr, month)
    }

    /// Weekday name (`%A`); `weekday` is 0 (Monday) ..= 6 (Sunday).
    pub fn weekday_name(&self, weekday: u8) -> &'static str {
        pick(&self.names.weekdays, weekday + 1)
    }

    /// Abbreviated weekday name (`%a`); `weekday` is 0 (Monday) ..= 6.
    pub fn weekday_abbr(&self, weekday: u8) -> &'static str {
        pick(&self.names.weekdays_abbr, weekday + 1)
    }
}

/// 1-based lookup that never panics (out of range gives "").
fn pick<const N: usize>(names: &[&'static str; N], one_based: u8) -> &'static str {
    usize::from(one_based)
        .checked_sub(1)
        .and_then(|i| names.get(i))
        .copied()
        .unwrap_or("")
}

/// An ISO 4217 currency: minor units and the symbol most locales use.
#[derive(Debug)]
pub struct Currency {
    code: &'static str,
    decimals: u8,
    symbol: Option<&'static str>,
}

impl Currency {
    /// The upper-case ISO 4217 code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// ISO 4217 minor units: 0 for JPY, 2 for EUR, 3 for KWD.
    pub fn decimals(&self) -> u8 {
        self.decimals
    }

    /// The usual symbol (`€`, `$`, `CA$`); `None` where the code is used.
    pub fn symbol(&self) -> Option<&'static str> {
        self.symbol
    }
}

const fn cur(code: &'static str, decimals: u8, symbol: Option<&'static str>) -> Currency {
    Currency {
        code,
        decimals,
        symbol,
    }
}

/// Currencies with a symbol or with other than two decimals. Any other
/// well-formed code is valid too: two decimals, the code as its symbol.
static CURRENCIES: &[Currency] = &[
    // Common currencies with symbols.
    cur("USD", 2, Some("$")),
    cur("EUR", 2, Some("€")),
    cur("GBP", 2, Some("£")),
    cur("JPY", 0, Some("¥")),
    cur("CNY", 2, Some("CN¥")),
    cur("KRW", 0, Some("₩")),
    cur("INR", 2, Some("₹")),
    cur("ILS", 2, Some("₪")),
    cur("BRL", 2, Some("R$")),
    cur("CAD", 2, Some("CA$")),
    cur("AUD", 2, Some("A$")),
    cur("NZD", 2, Some("NZ$")),
    cur("HKD", 2, Some("HK$")),
    cur("MXN", 2, Some("MX$")),
    cur("TWD", 2, Some("NT$")),
    cur("PHP", 2, Some("₱")),
    cur("VND", 0, Some("₫")),
    cur("XAF", 0, Some("FCFA")),
    cur("XOF", 0, Some("F\u{202f}CFA")),
    cur("XPF", 0, Some("CFPF")),
    // ISO 4217: no minor unit.
    cur("BIF", 0, None),
    cur("CLP", 0, None),
    cur("DJF", 0, None),
    cur("GNF", 0, None),
    cur("ISK", 0, None),
    cur("KMF", 0, None),
    cur("PYG", 0, None),
    cur("RWF", 0, None),
    cur("UGX", 0, None),
    cur("UYI", 0, None),
    cur("VUV", 0, None),
    // ISO 4217: three decimals.
    cur("BHD", 3, None),
    cur("IQD", 3, None),
    cur("JOD", 3, None),
    cur("KWD", 3, None),
    cur("LYD", 3, None),
    cur("OMR", 3, None),
    cur("TND", 3, None),
    // ISO 4217: four decimals.
    cur("CLF", 4, None),
    cur("UYW", 4, None),
];

/// The table entry for an upper-case ISO 4217 code, if it has one.
///
/// Codes without an entry are still valid for [`format_money`]
/// (two decimals, the code as symbol).
///
/// [`format_money`]: super::filters::format_money
pub fn currency(code: &str) -> Option<&'static Currency> {
    CURRENCIES.iter().find(|c| c.code == code)
}

const fn names(
    months: [&'static str; 12],
    months_abbr: [&'static str; 12],
    weekdays: [&'static str; 7],
    weekdays_abbr: [&'static str; 7],
) -> DateNames {
    DateNames {
        months,
        months_standalone: months,
        months_abbr,
        weekdays,
        weekdays_abbr,
    }
}

static EN: DateNames = names(
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
);

const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const DE_MONTHS_ABBR: [&str; 12] = [
    "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.",
];
const DE_WEEKDAYS: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const DE_WEEKDAYS_ABBR: [&str; 7] = ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."];

static DE: DateNames = names(DE_MONTHS, DE_MONTHS_ABBR, DE_WEEKDAYS, DE_WEEKDAYS_ABBR);

/// Austrian German says "Jänner".
static DE_AT: DateNames = names(
    [
        "Jänner",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    [
        "Jän.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.",
        "Dez.",
    ],
    DE_WEEKDAYS,
    DE_WEEKDAYS_ABBR,
);

static FR: DateNames = names(
    [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ],
    ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
);

static ES: DateNames = names(
    [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
    ],
    [
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
        "domingo",
    ],
    ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
);

static IT: DateNames = names(
    [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    [
        "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
    ],
    [
        "lunedì",
        "martedì",
        "mercoledì",
        "giovedì",
        "venerdì",
        "sabato",
        "domenica",
    ],
    ["lun", "mar", "mer", "gio", "ven", "sab", "dom"],
);

static NL: DateNames = names(
    [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    [
        "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ],
    [
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
    ],
    ["ma", "di", "wo", "do", "vr", "za", "zo"],
);

static PL: DateNames = DateNames {
    months: [
        "stycznia",
        "lutego",
        "marca",
        "kwietnia",
        "maja",
        "czerwca",
        "lipca",
        "sierpnia",
        "września",
        "października",
        "listopada",
        "grudnia",
    ],
    months_standalone: [
        "styczeń",
        "luty",
        "marzec",
        "kwiecień",
        "maj",
        "czerwiec",
        "lipiec",
        "sierpień",
        "wrzesień",
        "październik",
        "listopad",
        "grudzień",
    ],
    months_abbr: [
        "sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru",
    ],
    weekdays: [
        "poniedziałek",
        "wtorek",
        "środa",
        "czwartek",
        "piątek",
        "sobota",
        "niedziela",
    ],
    weekdays_abbr: ["pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz."],
};

static PT: DateNames = names(
    [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    [
        "jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.",
        "dez.",
    ],
    [
        "segunda-feira",
        "terça-feira",
        "quarta-feira",
        "quinta-feira",
        "sexta-feira",
        "sábado",
        "domingo",
    ],
    ["seg.", "ter.", "qua.", "qui.", "sex.", "sáb.", "dom."],
);

static SV: DateNames = names(
    [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ],
    [
        "jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.",
        "dec.",
    ],
    [
        "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag",
    ],
    ["mån", "tis", "ons", "tors", "fre", "lör", "sön"],
);

const CJK_MONTHS: [&str; 12] = [
    "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月",
];

static JA: DateNames = names(
    CJK_MONTHS,
    CJK_MONTHS,
    [
        "月曜日",
        "火曜日",
        "水曜日",
        "木曜日",
        "金曜日",
        "土曜日",
        "日曜日",
    ],
    ["月", "火", "水", "木", "金", "土", "日"],
);

static ZH: DateNames = names(
    CJK_MONTHS,
    CJK_MONTHS,
    [
        "星期一",
        "星期二",
        "星期三",
        "星期四",
        "星期五",
        "星期六",
        "星期日",
    ],
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
);

const AR_MONTHS: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];
const AR_WEEKDAYS: [&str; 7] = [
    "الاثنين",
    "الثلاثاء",
    "الأربعاء",
    "الخميس",
    "الجمعة",
    "السبت",
    "الأحد",
];

static AR: DateNames = names(AR_MONTHS, AR_MONTHS, AR_WEEKDAYS, AR_WEEKDAYS);

static HE: DateNames = names(
    [
        "ינואר",
        "פברואר",
        "מרץ",
        "אפריל",
        "מאי",
        "יוני",
        "יולי",
        "אוגוסט",
        "ספטמבר",
        "אוקטובר",
        "נובמבר",
        "דצמבר",
    ],
    [
        "ינו׳", "פבר׳", "מרץ", "אפר׳", "מאי", "יוני", "יולי", "אוג׳", "ספט׳", "אוק׳", "נוב׳",
        "דצמ׳",
    ],
    [
        "יום שני",
        "יום שלישי",
        "יום רביעי",
        "יום חמישי",
        "יום שישי",
        "יום שבת",
        "יום ראשון",
    ],
    [
        "יום ב׳",
        "יום ג׳",
        "יום ד׳",
        "יום ה׳",
        "יום ו׳",
        "שבת",
        "יום א׳",
    ],
);

use SymbolPosition::{After, Before};

/// Shorthand constructor keeping the table below one entry per paragraph.
const fn loc(
    tag: &'static str,
    (decimal, group): (&'static str, &'static str),
    (symbol_position, symbol_spaced): (SymbolPosition, bool),
    percent_separator: &'static str,
    [date_short, date_medium, date_long]: [&'static str; 3],
    names: &'static DateNames,
    symbols: &'static [(&'static str, &'static str)],
) -> Locale {
    Locale {
        tag,
        decimal,
        group,
        symbol_position,
        symbol_spaced,
        percent_separator,
        date_short,
        date_medium,
        date_long,
        names,
        symbols,
    }
}

const DE_DATES: [&str; 3] = ["%d.%m.%Y", "%d.%m.%Y", "%-d. %B %Y"];
const FR_SYMBOLS: &[(&str, &str)] = &[("USD", "$US"), ("CAD", "$CA")];

/// All supported locales. The first entry of a language is the one a bare
/// language tag (or an unknown region) resolves to.
static LOCALES: &[Locale] = &[
    loc(
        "en-US",
        (".", ","),
        (Before, false),
        "",
        ["%-m/%-d/%Y", "%b %-d, %Y", "%B %-d, %Y"],
        &EN,
        &[],
    ),
    loc(
        "en-GB",
        (".", ","),
        (Before, false),
        "",
        ["%d/%m/%Y", "%-d %b %Y", "%-d %B %Y"],
        &EN,
        &[("USD", "US$")],
    ),
    loc("de-DE", (",", "."), (After, true), NBSP, DE_DATES, &DE, &[]),
    loc(
        "de-AT",
        (",", NBSP),
        (Before, true),
        NBSP,
        DE_DATES,
        &DE_AT,
        &[],
    ),
    loc(
        "de-CH",
        (".", "\u{2019}"),
        (Before, true),
        "",
        DE_DATES,
        &DE,
        &[],
    ),
    loc(
        "fr-FR",
        (",", NNBSP),
        (After, true),
        NNBSP,
        ["%d/%m/%Y", "%-d %b %Y", "%-d %B %Y"],
        &FR,
        FR_SYMBOLS,
    ),
    loc(
        "fr-CH",
        (",", NNBSP),
        (After, true),
        "",
        ["%d.%m.%Y", "%-d %b %Y", "%-d %B %Y"],
        &FR,
        FR_SYMBOLS,
    ),
    loc(
        "es-ES",
        (",", "."),
        (After, true),
        NBSP,
        ["%d/%m/%Y", "%-d %b %Y", "%-d de %B de %Y"],
        &ES,
        &[("USD", "US$")],
    ),
    loc(
        "it-IT",
        (",", "."),
        (After, true),
        "",
        ["%d/%m/%Y", "%-d %b %Y", "%-d %B %Y"],
        &IT,
        &[],
    ),
    loc(
        "nl-NL",
        (",", "."),
        (Before, true),
        "",
        ["%d-%m-%Y", "%-d %b %Y", "%-d %B %Y"],
        &NL,
        &[("USD", "US$")],
    ),
    loc(
        "pl-PL",
        (",", NBSP),
        (After, true),
        "",
        ["%d.%m.%Y", "%-d %b %Y", "%-d %B %Y"],
        &PL,
        &[("PLN", "zł"), ("USD", "USD")],
    ),
    loc(
        "pt-BR",
        (",", "."),
        (Before, true),
        "",
        ["%d/%m/%Y", "%-d de %b de %Y", "%-d de %B de %Y"],
        &PT,
        &[("USD", "US$")],
    ),
    loc(
        "pt-PT",
        (",", NBSP),
        (After, true),
        "",
        ["%d/%m/%Y", "%d/%m/%Y", "%-d de %B de %Y"],
        &PT,
        &[("USD", "US$")],
    ),
    loc(
        "sv-SE",
        (",", NBSP),
        (After, true),
        NBSP,
        ["%Y-%m-%d", "%-d %b %Y", "%-d %B %Y"],
        &SV,
        &[("SEK", "kr"), ("USD", "US$")],
    ),
    loc(
        "ja-JP",
        (".", ","),
        (Before, false),
        "",
        ["%Y/%m/%d", "%Y/%m/%d", "%Y年%-m月%-d日"],
        &JA,
        &[("CNY", "元")],
    ),
    loc(
        "zh-CN",
        (".", ","),
        (Before, false),
        "",
        ["%Y/%-m/%-d", "%Y年%-m月%-d日", "%Y年%-m月%-d日"],
        &ZH,
        &[("CNY", "¥"), ("USD", "US$")],
    ),
    loc(
        "ar",
        (".", ","),
        (After, true),
        "",
        ["%d/%m/%Y", "%-d %b %Y", "%-d %B %Y"],
        &AR,
        &[],
    ),
    loc(
        "he-IL",
        (".", ","),
        (After, true),
        "",
        ["%-d.%-m.%Y", "%-d %b %Y", "%-d ב%B %Y"],
        &HE,
        &[],
    ),
];

/// Tags of all supported locales, in table order.
pub const SUPPORTED_LOCALES: &[&str] = &[
    "en-US", "en-GB", "de-DE", "de-AT", "de-CH", "fr-FR", "fr-CH", "es-ES", "it-IT", "nl-NL",
    "pl-PL", "pt-BR", "pt-PT", "sv-SE", "ja-JP", "zh-CN", "ar", "he-IL",
];

/// The locale used when neither an argument nor a `locale` variable names one.
pub fn default_locale() -> &'static Locale {
    &LOCALES[0]
}

/// Resolves a BCP 47-ish tag to a supported locale.
///
/// Accepts `de`, `de-DE`, `de_DE`, `DE-de`, `zh-Hans-CN` and POSIX suffixes
/// (`de_DE.UTF-8`, `sr@latin`). An exact language-region match wins; else
/// the language's default (`de-LU` → `de-DE`, `en` → `en-US`, `pt` →
/// `pt-BR`, `iw` → `he-IL`). Returns `None` for a language not in
/// [`SUPPORTED_LOCALES`] or a malformed tag.
pub fn locale(tag: &str) -> Option<&'static Locale> {
    let tag = tag.trim();
    let tag = tag.split(['.', '@']).next().unwrap_or(tag);
    let mut parts = tag.split(['-', '_']);
    let language = parts.next()?.to_ascii_lowercase();
    if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let language = match language.as_str() {
        "iw" => "he".to_string(),
        _ => language,
    };
    // The region is the first two-letter (or three-digit) subtag after the
    // language; a script subtag such as `Hans` is skipped.
    let region = parts
        .find(|p| {
            (p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
                || (p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_ascii_uppercase);
    let lang_of = |l: &Locale| l.tag.split('-').next().unwrap_or(l.tag) == language;
    if let Some(region) = region {
        let wanted = format!("{language}-{region}");
        if let Some(found) = LOCALES.iter().find(|l| l.tag == wanted) {
            return Some(found);
        }
    }
    LOCALES.iter().find(|l| lang_of(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_list_matches_table() {
        let tags: Vec<&str> = LOCALES.iter().map(Locale::tag).collect();
        assert_eq!(tags, SUPPORTED_LOCALES);
    }

    #[test]
    fn every_supported_tag_resolves_to_itself() {
        for tag in SUPPORTED_LOCALES {
            assert_eq!(locale(tag).map(Locale::tag), Some(*tag), "{tag}");
        }
    }

    #[test]
    fn tag_resolution() {
        let check = |input: &str, expected: Option<&str>| {
            assert_eq!(locale(input).map(Locale::tag), expected, "{input:?}");
        };
        check("de", Some("de-DE"));
        check("de-DE", Some("de-DE"));
        check("de_DE", Some("de-DE"));
        check("DE-de", Some("de-DE"));
        check("de_AT.UTF-8", Some("de-AT"));
        check("de-CH", Some("de-CH"));
        check("de-LU", Some("de-DE"));
        check("en", Some("en-US"));
        check("en-gb", Some("en-GB"));
        check("en-AU", Some("en-US"));
        check("fr-CA", Some("fr-FR"));
        check("fr-CH", Some("fr-CH"));
        check("pt", Some("pt-BR"));
        check("pt-PT", Some("pt-PT"));
        check("zh-Hans-CN", Some("zh-CN"));
        check("zh-TW", Some("zh-CN"));
        check("ar-SA", Some("ar"));
        check("ar", Some("ar"));
        check("iw-IL", Some("he-IL"));
        check(" sv ", Some("sv-SE"));
        check("xx-YY", None);
        check("klingon", None);
        check("", None);
        check("-DE", None);
        check("d3", None);
    }

    #[test]
    fn currency_symbols_per_locale() {
        let check = |tag: &str, code: &str, expected: Option<&str>| {
            let l = locale(tag).expect(tag);
            assert_eq!(l.currency_symbol(code), expected, "{tag} {code}");
        };
        check("en-US", "USD", Some("$"));
        check("en-GB", "USD", Some("US$"));
        check("fr-FR", "USD", Some("$US"));
        check("de-DE", "EUR", Some("€"));
        check("pl-PL", "PLN", Some("zł"));
        check("en-US", "PLN", None);
        check("sv-SE", "SEK", Some("kr"));
        check("zh-CN", "CNY", Some("¥"));
        check("en-US", "CNY", Some("CN¥"));
        check("de-CH", "CHF", None);
        check("en-US", "XYZ", None);
    }

    #[test]
    fn iso_4217_minor_units() {
        let check = |code: &str, expected: Option<u8>| {
            assert_eq!(currency(code).map(Currency::decimals), expected, "{code}");
        };
        check("JPY", Some(0));
        check("KRW", Some(0));
        check("EUR", Some(2));
        check("BHD", Some(3));
        check("KWD", Some(3));
        check("CLF", Some(4));
        check("CHF", None);
    }

    #[test]
    fn names_are_one_based_and_total() {
        let de = locale("de").expect("de");
        assert_eq!(de.month_name(1), "Januar");
        assert_eq!(de.month_name(12), "Dezember");
        assert_eq!(de.month_name(0), "");
        assert_eq!(de.month_name(13), "");
        assert_eq!(de.weekday_name(0), "Montag");
        assert_eq!(de.weekday_abbr(6), "So.");
        let at = locale("de-AT").expect("de-AT");
        assert_eq!(at.month_name(1), "Jänner");
        let pl = locale("pl").expect("pl");
        assert_eq!(pl.month_name(11), "listopada");
        assert_eq!(pl.month_name_standalone(11), "listopad");
    }
}
