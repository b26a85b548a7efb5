//! French words as the platform compares them, in search and in matching alike: lowercase,
//! without diacritics, and a light stemming that lets plurals and feminines meet. One place,
//! so that what a member types finds the same things in both.

fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
        'ç' => "c",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'î' | 'ï' | 'í' | 'ì' => "i",
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
        'ù' | 'û' | 'ü' | 'ú' => "u",
        'ÿ' | 'ý' => "y",
        'ñ' => "n",
        'æ' => "ae",
        'œ' => "oe",
        _ => return None,
    })
}

/// Lowercase words without diacritics, split on everything that is not a letter or digit.
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if let Some(folded) = fold(c) {
            current.push_str(folded);
        } else if c.is_alphanumeric() {
            current.push(c);
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Folds the inflections of a French (or English) word onto one stem: plurals, then the
/// feminine and mute final e. Words of three letters or fewer, and numbers, stay whole.
pub fn stem(word: &str) -> String {
    if word.chars().count() <= 3 || word.chars().all(|c| c.is_ascii_digit()) {
        return word.to_owned();
    }
    let mut stem = word.to_owned();
    if stem.ends_with("eaux") {
        stem.pop();
    } else if let Some(base) = stem.strip_suffix("aux") {
        stem = format!("{base}al");
    } else if let Some(base) = stem.strip_suffix('x') {
        stem = base.to_owned();
    } else if stem.len() > 4
        && let Some(base) = stem.strip_suffix('s')
        && !base.ends_with('s')
    {
        stem = base.to_owned();
    }
    for ending in ["ee", "e"] {
        if stem.len() > 4
            && let Some(base) = stem.strip_suffix(ending)
        {
            stem = base.to_owned();
            break;
        }
    }
    stem
}
