//! Whether a query needs a multilingual text model: the default CLIP text
//! tower was trained on English captions, so a query in another language
//! finds little with it (peers' users report exactly this for Chinese,
//! German, Japanese…). With a multilingual model bound to the library's image
//! model installed, `auto` sends such queries through it and English ones
//! through CLIP's own tower, and says which and why.

/// Common words of other languages written in Latin letters that are not
/// also English words (so "die", "strand", "a" are not here): German, French,
/// Spanish, Italian, Portuguese, Dutch and the Nordic languages.
const FOREIGN_WORDS: &[&str] = &[
    // German
    "der",
    "das",
    "und",
    "mit",
    "ein",
    "eine",
    "einer",
    "im",
    "am",
    "auf",
    "dem",
    "den",
    "des",
    "vom",
    "zum",
    "zur",
    "nicht",
    "ist",
    "bei",
    "unter",
    "ueber",
    "meine",
    "mein",
    "berge",
    "hund",
    "katze",
    "sonnenuntergang",
    "schnee",
    "baum",
    "kinder",
    "hochzeit",
    "geburtstag",
    "oder",
    // French
    "le",
    "les",
    "du",
    "et",
    "une",
    "avec",
    "sur",
    "dans",
    "sous",
    "chez",
    "plage",
    "chien",
    "chat",
    "montagne",
    "coucher",
    "soleil",
    "neige",
    "arbre",
    "enfants",
    "mariage",
    "anniversaire",
    "mer",
    // Spanish / Portuguese / Italian
    "el",
    "los",
    "las",
    "con",
    "del",
    "una",
    "playa",
    "perro",
    "gato",
    "montaña",
    "montanas",
    "atardecer",
    "nieve",
    "niños",
    "boda",
    "cumpleaños",
    "praia",
    "cachorro",
    "gatto",
    "cane",
    "spiaggia",
    "tramonto",
    "neve",
    "montagna",
    "della",
    "delle",
    "nella",
    "sulla",
    "uma",
    "nas",
    // Dutch / Nordic
    "het",
    "een",
    "en",
    "van",
    "hond",
    "kat",
    "zee",
    "och",
    "på",
    "til",
];

/// Why `text` should go through a multilingual text model, or `None` when
/// CLIP's English tower reads it: letters outside ASCII (other scripts,
/// accented Latin), or two or more common words of another language (one
/// alone, like "Le Mans", is too little to go on).
pub fn multilingual_reason(text: &str) -> Option<String> {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic() && !c.is_ascii()).collect();
    if !letters.is_empty() {
        let shown: String = letters.iter().take(6).collect();
        return Some(format!("it has letters English does not use ({shown})"));
    }
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| FOREIGN_WORDS.contains(&w.as_str()))
        .collect();
    (words.len() >= 2).then(|| format!("it has words of another language ({})", words.join(", ")))
}

/// When queries in words go through a text-only model instead of the image
/// model's own text tower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TextMode {
    /// When [`multilingual_reason`] says the words need it.
    #[default]
    Auto,
    /// Every query in words.
    Always,
    /// Never.
    Off,
}

impl std::str::FromStr for TextMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "auto" => Ok(Self::Auto),
            "always" => Ok(Self::Always),
            "off" => Ok(Self::Off),
            other => Err(format!("{other:?}: the text model is auto, always or off")),
        }
    }
}

/// Which model reads a query's words, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextPick {
    /// The text-only model to use; `None`: the image model's own text tower.
    pub model: Option<String>,
    /// Why, in words for a person.
    pub reason: String,
}

/// Which model reads `words` under `mode`, given the installed text models
/// bound to the library's image model (`available`, the preferred first).
pub fn pick_text_model(mode: TextMode, words: &str, available: &[String]) -> TextPick {
    let own = |reason: String| TextPick { model: None, reason };
    let Some(first) = available.first() else {
        return match (mode, multilingual_reason(words)) {
            (TextMode::Off, _) | (_, None) => own("the image model reads the words".into()),
            (_, Some(why)) => own(format!(
                "the image model reads the words, though {why}: install a multilingual text model \
                 (photofind model fetch clip-vit-b-32-multilingual-v1) to search in other languages"
            )),
        };
    };
    match mode {
        TextMode::Off => own("the text model is off".into()),
        TextMode::Always => {
            TextPick { model: Some(first.clone()), reason: "the text model is always used".into() }
        }
        TextMode::Auto => match multilingual_reason(words) {
            Some(why) => TextPick { model: Some(first.clone()), reason: why },
            None => own("the words read as English".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{TextMode, multilingual_reason, pick_text_model};

    #[test]
    fn the_pick_follows_the_mode_and_the_words() {
        let installed = vec!["clip-vit-b-32-multilingual-v1".to_owned()];
        let pick = |mode, words| pick_text_model(mode, words, &installed).model;
        assert_eq!(pick(TextMode::Auto, "Hund am Strand").as_deref(), Some("clip-vit-b-32-multilingual-v1"));
        assert_eq!(pick(TextMode::Auto, "dog on a beach"), None);
        assert_eq!(
            pick(TextMode::Always, "dog on a beach").as_deref(),
            Some("clip-vit-b-32-multilingual-v1")
        );
        assert_eq!(pick(TextMode::Off, "海辺の犬"), None);
        let none = pick_text_model(TextMode::Auto, "海辺の犬", &[]);
        assert_eq!(none.model, None);
        assert!(none.reason.contains("photofind model fetch"), "{}", none.reason);
        assert_eq!("always".parse::<TextMode>(), Ok(TextMode::Always));
        assert!("sometimes".parse::<TextMode>().unwrap_err().contains("auto, always or off"));
    }

    #[test]
    fn english_stays_with_clip() {
        for text in
            ["sunset over mountains", "a dog on the beach", "Le Mans race car", "die hard poster", "", "2019"]
        {
            assert_eq!(multilingual_reason(text), None, "{text}");
        }
    }

    #[test]
    fn other_scripts_accents_and_foreign_phrases_go_multilingual() {
        for text in [
            "山の夕日",
            "Hund am Strand",
            "chien sur la plage",
            "café",
            "закат в горах",
            "غروب الشمس",
            "perro en la playa",
        ] {
            assert!(multilingual_reason(text).is_some(), "{text}");
        }
        let reason = multilingual_reason("Hund am Strand").expect("German");
        assert!(reason.contains("hund, am"), "{reason}");
        assert!(multilingual_reason("über").expect("umlaut").contains('ü'));
    }
}
