//! The model download offer and the download's reports.

use super::*;

fn needs_model() -> EnrichStatus {
    EnrichStatus::started(false, false, false)
}

#[test]
fn the_model_offer_shows_once_and_y_downloads() {
    let mut s = browsing(needs_model());
    assert_eq!(s.mode, Mode::ModelOffer);
    assert_eq!(ch(&mut s, 'y'), vec![Effect::FetchModel]);
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(label(&s), "enrich: starting download…");
    update(&mut s, AppEvent::Tick);
    assert_eq!(s.mode, Mode::Normal, "not offered twice");

    let fetch = |s: &mut AppState, e| update(s, AppEvent::ModelFetch(e));
    fetch(
        &mut s,
        FetchEvent::Stage("downloading x.gguf from the Hub".into()),
    );
    assert!(message(&s).contains("downloading x.gguf"));
    fetch(
        &mut s,
        FetchEvent::Download {
            done: 42,
            total: 100,
        },
    );
    assert_eq!(label(&s), "enrich: downloading model 42%");
    fetch(&mut s, FetchEvent::Convert { done: 3, total: 4 });
    assert_eq!(label(&s), "enrich: converting model 75%");
    let installed = PathBuf::from("models").join("m.Q8_0.gguf");
    assert_eq!(
        fetch(&mut s, FetchEvent::Installed(installed)),
        vec![Effect::WakeEnrich]
    );
    assert_eq!(s.enrich.model, ModelState::Installed);
    assert!(message(&s).contains("m.Q8_0.gguf"));
    assert_eq!(label(&s), "enrich: idle");
}

#[test]
fn n_declines_for_good_and_esc_only_for_now() {
    let mut s = browsing(needs_model());
    assert_eq!(ch(&mut s, 'n'), vec![Effect::DeclineModel]);
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(label(&s), "enrich: off (no model: snipdex model fetch)");

    let mut s = browsing(needs_model());
    assert_eq!(press(&mut s, KeyCode::Esc), Vec::new());
    assert_eq!(s.mode, Mode::Normal);
    assert!(message(&s).contains("next start"));

    // Declined in an earlier run: no offer at all.
    let s = browsing(EnrichStatus::started(false, false, true));
    assert_eq!(s.mode, Mode::Normal);
    // A model already there: no offer either.
    assert_eq!(running().mode, Mode::Normal);
}

#[test]
fn a_failed_download_says_why_and_leaves_the_rest_working() {
    let mut s = browsing(needs_model());
    ch(&mut s, 'y');
    update(
        &mut s,
        AppEvent::ModelFetchFailed("network unreachable".into()),
    );
    assert_eq!(s.enrich.model, ModelState::Missing);
    assert!(s.message.as_ref().is_some_and(|m| m.error));
    assert!(message(&s).contains("network unreachable"));
    assert_eq!(label(&s), "enrich: off (no model: snipdex model fetch)");
    assert_eq!(
        ch(&mut s, 'j'),
        vec![Effect::LoadPreview(2)],
        "still browsing"
    );
    // Work can still be queued; it waits for a model.
    ch(&mut s, 'k');
    update(&mut s, AppEvent::Preview(Box::new(snippet(1))));
    assert!(matches!(
        ch(&mut s, 'r').as_slice(),
        [Effect::Regenerate { .. }]
    ));
    assert!(message(&s).contains("once a model is installed"));
}

#[test]
fn the_samples_offer_comes_before_the_model_offer() {
    for leave in [KeyCode::Esc, KeyCode::Enter] {
        let mut s = AppState::new(false);
        s.enrich = needs_model();
        update(&mut s, AppEvent::Loaded(Arc::new(vec![])));
        assert_eq!(s.screen, Screen::FirstRun);
        assert_eq!(s.mode, Mode::Normal, "samples first");
        let effects = press(&mut s, leave);
        if leave == KeyCode::Enter {
            assert_eq!(effects, vec![Effect::LoadSamples]);
            assert_eq!(s.mode, Mode::Normal, "still on the samples screen");
            update(&mut s, AppEvent::SamplesLoaded(12));
        }
        assert_eq!(s.screen, Screen::Browse);
        assert_eq!(s.mode, Mode::ModelOffer);
    }
}

#[test]
fn a_model_found_by_the_worker_clears_the_missing_state() {
    let mut s = browsing(EnrichStatus::started(false, false, true));
    enrich(&mut s, EnrichEvent::Started { id: 3 });
    assert_eq!(s.enrich.model, ModelState::Installed);
    assert_eq!(label(&s), "enrich: enriching #3");
}
