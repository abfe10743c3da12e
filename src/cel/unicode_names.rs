//! Unicode class names accepted by Go (1.25+) in `\p{...}`: `Any`, `ASCII`,
//! `Assigned`, general categories (short and long names) and scripts,
//! matched case-insensitively ignoring spaces, underscores and hyphens.

const NAMES: &str = "\
    any ascii assigned c cc cf cn co cs l lc ll lm lo lt lu m mc me mn n nd nl no p pc \
    pd pe pf pi po ps s sc sk sm so z zl zp zs other control format privateuse surrogate \
    unassigned letter casedletter lowercaseletter modifierletter otherletter \
    titlecaseletter uppercaseletter mark combiningmark spacingmark enclosingmark \
    nonspacingmark number decimalnumber digit letternumber othernumber punctuation punct \
    connectorpunctuation dashpunctuation closepunctuation finalpunctuation \
    initialpunctuation otherpunctuation openpunctuation symbol currencysymbol \
    modifiersymbol mathsymbol othersymbol separator lineseparator paragraphseparator \
    spaceseparator adlam ahom anatolianhieroglyphs arabic armenian avestan balinese \
    bamum bassavah batak bengali bhaiksuki bopomofo brahmi braille buginese buhid \
    canadianaboriginal carian caucasianalbanian chakma cham cherokee chorasmian common \
    coptic cuneiform cypriot cyprominoan cyrillic deseret devanagari divesakuru dogra \
    duployan egyptianhieroglyphs elbasan elymaic ethiopic garay georgian glagolitic \
    gothic grantha greek gujarati gunjalagondi gurmukhi gurungkhema han hangul \
    hanifirohingya hanunoo hatran hebrew hiragana imperialaramaic inherited \
    inscriptionalpahlavi inscriptionalparthian javanese kaithi kannada katakana kawi \
    kayahli kharoshthi khitansmallscript khmer khojki khudawadi kiratrai lao latin \
    lepcha limbu lineara linearb lisu lycian lydian mahajani makasar malayalam mandaic \
    manichaean marchen masaramgondi medefaidrin meeteimayek mendekikakui meroiticcursive \
    meroitichieroglyphs miao modi mongolian mro multani myanmar nabataean nagmundari \
    nandinagari newtailue newa nko nushu nyiakengpuachuehmong ogham olchiki olonal \
    oldhungarian olditalic oldnortharabian oldpermic oldpersian oldsogdian \
    oldsoutharabian oldturkic olduyghur oriya osage osmanya pahawhhmong palmyrene \
    paucinhau phagspa phoenician psalterpahlavi rejang runic samaritan saurashtra \
    sharada shavian siddham signwriting sinhala sogdian sorasompeng soyombo sundanese \
    sunuwar sylotinagri syriac tagalog tagbanwa taile taitham taiviet takri tamil tangsa \
    tangut telugu thaana thai tibetan tifinagh tirhuta todhri toto tulutigalari ugaritic \
    vai vithkuqi wancho warangciti yezidi yi zanabazarsquare";

/// Whether Go knows the Unicode class `name`.
pub fn is_unicode_class_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect();
    !folded.is_empty() && NAMES.split_whitespace().any(|n| n == folded)
}
