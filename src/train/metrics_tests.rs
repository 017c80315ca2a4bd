use super::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn bleu_tokens_split_punctuation_like_codexglue() {
    assert_eq!(
        bleu_tokens("Returns the file's SIZE (in bytes)."),
        strings(&["returns", "the", "file", "'", "s", "size", "(", "in", "bytes", ")", "."])
    );
    assert_eq!(
        bleu_tokens("snake_case x2\tπr²"),
        strings(&["snake_case", "x2", "πr²"])
    );
    assert!(bleu_tokens("  ").is_empty());
}

#[test]
fn identical_sentences_score_100_and_1() {
    for s in ["Reads a file into a string.", "Hi", "a b c d e f g"] {
        assert!(close(sentence_bleu(s, s), 1.0), "{s}");
        assert!(close(rouge_l(s, s), 1.0), "{s}");
    }
    assert!(close(mean_bleu([("Sorts a list", "sorts a LIST")]), 100.0));
}

#[test]
fn disjoint_sentences_score_zero() {
    let (h, r) = ("parse json quickly", "opens a socket");
    // No unigram match: the unsmoothed unigram precision is ~1e-308, so
    // BLEU is about 1e-77.
    assert!(sentence_bleu(h, r) < 1e-60);
    assert_eq!(rouge_l(h, r), 0.0);
    assert!(mean_bleu([(h, r)]) < 1e-50);
}

#[test]
fn worked_bleu_example() {
    // hyp "the cat sat on the mat", ref "the cat is on the mat" (6 tokens each)
    // 1-grams: the×2, cat, on, mat match -> 5/6 (not smoothed)
    // 2-grams: "the cat", "on the", "the mat" match of 5 -> (3+1)/(5+1) = 2/3
    // 3-grams: "on the mat" matches of 4 -> (1+1)/(4+1) = 2/5
    // 4-grams: none of 3 -> (0+1)/(3+1) = 1/4
    // product = 5/6 · 2/3 · 2/5 · 1/4 = 1/18; equal lengths, so no penalty:
    // BLEU = (1/18)^(1/4) = 0.485491...
    let got = sentence_bleu("the cat sat on the mat", "the cat is on the mat");
    assert!(close(got, (1.0f64 / 18.0).powf(0.25)), "{got}");
    assert!((got - 0.485_491).abs() < 1e-6);
}

#[test]
fn worked_brevity_penalty_example() {
    // hyp "the cat" (2), ref "the cat sat on the mat" (6). Every n-gram the
    // hypothesis has matches; 3- and 4-grams are 0/0, smoothed to 1/1. So the
    // precisions are all 1 and only the penalty is left:
    // min(0, 1 - (6+1)/(2+1)) = -4/3, BLEU = exp(-4/3) = 0.263597...
    let got = sentence_bleu("the cat", "the cat sat on the mat");
    assert!(close(got, (-4.0f64 / 3.0).exp()), "{got}");
    // A longer hypothesis is not rewarded by the penalty term.
    let long = sentence_bleu("the cat sat on the mat today", "the cat sat on the mat");
    assert!(long < 1.0 && long > 0.5);
}

#[test]
fn empty_hypothesis_follows_codexglue() {
    // All n-gram terms are log(0+1)-log(0+1) or log(tiny)-log(tiny) = 0; the
    // penalty is 1 - (3+1)/(0+1) = -3.
    assert!(close(sentence_bleu("", "opens a socket"), (-3.0f64).exp()));
    assert_eq!(rouge_l("", "opens a socket"), 0.0);
}

#[test]
fn worked_rouge_l_example() {
    // hyp "A cat sat on the mat!" -> a cat sat on the mat (6 tokens)
    // ref "the cat was sitting on the mat" (7 tokens)
    // LCS = cat on the mat = 4; P = 4/6, R = 4/7,
    // F1 = 2PR/(P+R) = (16/21)/(26/21) = 16/26 = 0.615384...
    let got = rouge_l("A cat sat on the mat!", "the cat was sitting on the mat");
    assert!(close(got, 16.0 / 26.0), "{got}");
    assert_eq!(lcs_len(&[1, 2, 3, 4], &[2, 4, 3]), 2);
    assert_eq!(
        rouge_tokens("Don't  PANIC-now"),
        strings(&["don", "t", "panic", "now"])
    );
}

#[test]
fn worked_set_scores_example() {
    // 2 of 3 predicted tags are right, 2 of 4 reference tags found:
    // P = 2/3, R = 1/2, F1 = (2/3)/(7/6) = 4/7.
    let s = set_scores(
        &strings(&["rust", "cli", "parsing", "rust"]),
        &strings(&["rust", "parsing", "json", "serde"]),
    );
    assert!(close(s.precision, 2.0 / 3.0));
    assert!(close(s.recall, 0.5));
    assert!(close(s.f1, 4.0 / 7.0));

    let none = set_scores(&[], &strings(&["rust"]));
    assert_eq!((none.precision, none.recall, none.f1), (0.0, 0.0, 0.0));
    let both_empty = set_scores(&[], &[]);
    assert_eq!(both_empty.f1, 1.0);

    let avg = mean_set_scores(&[s, none]);
    assert!(close(avg.f1, 2.0 / 7.0));
    assert_eq!(mean_set_scores(&[]), SetScores::default());
}

#[test]
fn only_absolute_https_urls_are_well_formed() {
    assert!(is_wellformed_https("https://docs.rs/serde/latest/serde/"));
    assert!(is_wellformed_https(
        "https://docs.python.org/3/library/os.html#os.listdir"
    ));
    for bad in [
        "http://docs.rs/serde",
        "docs.rs/serde",
        "https://localhost/x",
        "https://user:pw@example.com/",
        "https://exa mple.com/",
        "ftp://example.com/",
        "",
    ] {
        assert!(!is_wellformed_https(bad), "{bad}");
    }
}

#[test]
fn pages_match_without_fragment_or_trailing_slash() {
    assert!(same_page(
        "https://docs.python.org/3/library/os.html#os.listdir",
        "https://docs.python.org/3/library/os.html"
    ));
    assert!(same_page("https://DOCS.rs/serde/", "https://docs.rs/serde"));
    assert!(!same_page(
        "https://docs.rs/serde",
        "https://docs.rs/serde_json"
    ));
}
