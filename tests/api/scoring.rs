//! The scoring engine's store (issue 13), on both databases: rubric
//! versions, a board opened for an entry, reviewers refused for a conflict of
//! interest, marks entered and corrected, per-reviewer locks, a flag that
//! holds the final lock until re-marked, the result, and every step in the
//! audit log.

use crate::support::TestApp;
use axum::http::StatusCode;
use gongjiang::audit::Actor;
use gongjiang::auth::Scope;
use gongjiang::scoring::rules::{Entrant, Given};
use gongjiang::scoring::store::{
    self, AspectDoc, CriterionDoc, DeductionDoc, MethodDoc, RubricDoc,
};
use sqlx::Row;

/// A marking scheme of 100 marks (in hundredths): 安全文明 40 all or
/// nothing, 尺寸精度 30 by a deduction table, 工艺 30 judged 0–3.
fn scheme() -> RubricDoc {
    let aspect = |key: &str, label: &str, max: i64, method: MethodDoc| AspectDoc {
        key: key.into(),
        label: label.into(),
        max,
        weight: 100,
        method,
    };
    RubricDoc {
        criteria: vec![
            CriterionDoc {
                label: "客观评分".into(),
                aspects: vec![
                    aspect("A1", "安全文明生产", 4000, MethodDoc::FullOrZero),
                    aspect(
                        "A2",
                        "尺寸精度",
                        3000,
                        MethodDoc::Deductions {
                            table: vec![
                                DeductionDoc {
                                    fault: "尺寸超差".into(),
                                    points: 1000,
                                },
                                DeductionDoc {
                                    fault: "表面划伤".into(),
                                    points: 500,
                                },
                            ],
                        },
                    ),
                ],
            },
            CriterionDoc {
                label: "主观评分".into(),
                aspects: vec![aspect(
                    "B1",
                    "工艺与操作规范",
                    3000,
                    MethodDoc::Judged {
                        descriptors: vec![
                            "明显不符合要求".into(),
                            "基本符合".into(),
                            "符合".into(),
                            "超出要求".into(),
                        ],
                    },
                )],
            },
        ],
    }
}

async fn scoring_events(app: &TestApp, board: i64) -> Vec<String> {
    sqlx::query(
        "SELECT action FROM audit_log WHERE entity = 'scoring_board' AND entity_id = $1 ORDER BY id",
    )
    .bind(board)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect()
}

#[tokio::test]
async fn a_board_is_marked_locked_and_closed_by_the_rules_and_every_step_is_kept() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let actor = Actor::system("test:scoring");
    let all = Scope::everything();
    let (town, yizhou) = (
        app.org_id("ZJ-NB-YZ-JS").await,
        app.org_id("JS-YIZHOU").await,
    );

    // Rubrics: a broken one is refused on its field and kept nowhere; each
    // save of the same name is the next version; outside the scope, no union.
    let mut broken = scheme();
    broken.criteria[0].aspects[0].max = 0;
    let e = store::add_rubric(db, &actor, &all, town, "钳工比武", &broken)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut three_descriptors = scheme();
    three_descriptors.criteria[1].aspects[0].method = MethodDoc::Judged {
        descriptors: vec!["差".into(), "中".into(), "好".into()],
    };
    let e = store::add_rubric(db, &actor, &all, town, "钳工比武", &three_descriptors)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let first = store::add_rubric(db, &actor, &all, town, "钳工比武", &scheme())
        .await
        .unwrap();
    let second = store::add_rubric(db, &actor, &all, town, "钳工比武", &scheme())
        .await
        .unwrap();
    assert_eq!((first.rubric.version, second.rubric.version), (1, 2));
    assert_eq!(first.rubric.full_marks(), 10_000);
    let kept = store::rubric(&db.pool, first.id).await.unwrap();
    assert_eq!(
        kept.rubric, first.rubric,
        "a rubric reads back as it was kept"
    );
    let huzhou_path: String = sqlx::query("SELECT path FROM orgs WHERE code = 'ZJ-HZ'")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    let huzhou = Scope::new(vec![huzhou_path], None);
    let e = store::add_rubric(db, &actor, &huzhou, town, "钳工比武", &scheme())
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::NOT_FOUND);

    // A board for a worker of 一舟, kept at the town.
    let entrant = app.member_of("JS-YIZHOU").await;
    let who = Entrant {
        member_id: Some(entrant),
        org_id: yizhou,
        enterprise_id: None,
        nominated_by: None,
    };
    let mut tx = db.begin().await.unwrap();
    let board = store::open_board(&mut tx, &actor, first.id, town, ("test", 1), &who)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let again = store::open_board(&mut tx, &actor, first.id, town, ("test", 1), &who).await;
    assert_eq!(again.unwrap_err().status(), StatusCode::CONFLICT);
    drop(tx);
    // A union above marks by the town's rubric: refused (a rubric serves its union and below).
    let district = app.org_id("ZJ-NB-YZ").await;
    let mut tx = db.begin().await.unwrap();
    let above = store::open_board(&mut tx, &actor, first.id, district, ("test", 2), &who).await;
    assert_eq!(above.unwrap_err().status(), StatusCode::CONFLICT);
    let missing = store::open_board(&mut tx, &actor, 999_999, town, ("test", 3), &who).await;
    assert_eq!(missing.unwrap_err().status(), StatusCode::NOT_FOUND);
    drop(tx);

    // Conflicts of interest: the entrant, a colleague of the same union.
    let colleague: i64 = sqlx::query("SELECT MAX(id) FROM members WHERE org_id = $1")
        .bind(yizhou)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    for refused in [entrant, colleague] {
        let e = store::assign(db, &actor, &all, board, refused)
            .await
            .unwrap_err();
        assert_eq!(e.status(), StatusCode::CONFLICT, "{refused}");
    }
    // Three judges from three other unions of the town.
    let town_path: String = sqlx::query("SELECT path FROM orgs WHERE id = $1")
        .bind(town)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    let judges: Vec<i64> = sqlx::query(
        "SELECT MIN(m.id) FROM members m JOIN orgs o ON o.id = m.org_id \
         WHERE o.id <> $1 AND o.path LIKE $2 GROUP BY m.org_id ORDER BY 1 LIMIT 3",
    )
    .bind(yizhou)
    .bind(format!("{town_path}%"))
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert_eq!(judges.len(), 3);
    let outside = store::assign(db, &actor, &huzhou, board, judges[0])
        .await
        .unwrap_err();
    assert_eq!(
        outside.status(),
        StatusCode::NOT_FOUND,
        "staff outside the union see no board"
    );
    for j in &judges {
        store::assign(db, &actor, &all, board, *j).await.unwrap();
    }
    let twice = store::assign(db, &actor, &all, board, judges[0]).await;
    assert_eq!(twice.unwrap_err().status(), StatusCode::CONFLICT);

    // Marks an aspect cannot take are the input's fault; a stranger has no sheet.
    for (aspect, given) in [
        ("B1", Given::Mark(4)),
        ("A1", Given::Mark(2)),
        ("A2", Given::Faults(vec![7])),
        ("Z9", Given::Met(true)),
    ] {
        let e = store::enter(db, &actor, judges[0], board, aspect, given)
            .await
            .unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY, "{aspect}");
    }
    let e = store::enter(db, &actor, colleague, board, "A1", Given::Met(true))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::NOT_FOUND);

    // Two judges mark at the same time: nothing is lost.
    let enter_all = |judge: i64, faults: Vec<usize>, mark: u8| {
        let actor = actor.clone();
        async move {
            store::enter(db, &actor, judge, board, "A1", Given::Met(true)).await?;
            store::enter(db, &actor, judge, board, "A2", Given::Faults(faults)).await?;
            store::enter(db, &actor, judge, board, "B1", Given::Mark(mark)).await
        }
    };
    let (a, b) = tokio::join!(
        enter_all(judges[0], vec![0], 2),
        enter_all(judges[1], vec![], 3)
    );
    a.unwrap();
    b.unwrap();
    // The third judge first locks too early, then marks 0 on the judged aspect.
    let e = store::lock_sheet(db, &actor, judges[2], board)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::CONFLICT, "nothing marked yet");
    enter_all(judges[2], vec![1], 0).await.unwrap();
    let marks: i64 = sqlx::query("SELECT COUNT(*) FROM scoring_marks WHERE board_id = $1")
        .bind(board)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(marks, 9);
    for j in &judges {
        store::lock_sheet(db, &actor, *j, board).await.unwrap();
    }
    // A locked sheet keeps its marks.
    let e = store::enter(db, &actor, judges[2], board, "B1", Given::Mark(2))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::CONFLICT);

    // 0 against 3 on a judged aspect: flagged, and the final lock waits.
    let standing = store::standing(db, &all, board, 0).await.unwrap();
    assert_eq!(standing.flags.len(), 1, "{:?}", standing.flags);
    assert!(!standing.closed);
    let e = store::close(db, &actor, &all, board).await.unwrap_err();
    assert_eq!(e.status(), StatusCode::CONFLICT);
    // Discussed: the third judge's sheet reopens (with a reason) and is re-marked.
    let e = store::reopen(db, &actor, &all, board, judges[2], " ")
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
    store::reopen(
        db,
        &actor,
        &all,
        board,
        judges[2],
        "工艺分相差 3 分，评审组讨论后重评",
    )
    .await
    .unwrap();
    store::enter(db, &actor, judges[2], board, "B1", Given::Mark(2))
        .await
        .unwrap();
    store::lock_sheet(db, &actor, judges[2], board)
        .await
        .unwrap();
    let outcome = store::close(db, &actor, &all, board).await.unwrap();
    // 40 + mean(20, 30, 25) + 30 × (2 + 3 + 2) ÷ 9 = 40 + 25 + 23.33 = 88.33 marks.
    assert_eq!(outcome.aspects["A1"], 4000);
    assert_eq!(outcome.aspects["A2"], 2500);
    assert_eq!(outcome.aspects["B1"], 2333);
    assert_eq!(outcome.total, 8833);
    let standing = store::standing(db, &all, board, 0).await.unwrap();
    assert!(standing.closed && standing.flags.is_empty());
    assert_eq!(standing.outcome, outcome);

    // Closed: nothing changes any more.
    let e = store::enter(db, &actor, judges[0], board, "B1", Given::Mark(3))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::CONFLICT);
    let e = store::reopen(db, &actor, &all, board, judges[0], "再议")
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::CONFLICT);
    let e = store::assign(db, &actor, &all, board, colleague + 1)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::CONFLICT);

    // Every step is in the audit log, in order.
    let events = scoring_events(&app, board).await;
    let count = |a: &str| events.iter().filter(|e| *e == a).count();
    assert_eq!(events.first().map(String::as_str), Some("scoring.open"));
    assert_eq!(events.last().map(String::as_str), Some("scoring.close"));
    assert_eq!(
        (
            count("scoring.assign"),
            count("scoring.mark"),
            count("scoring.lock"),
            count("scoring.reopen")
        ),
        (3, 10, 4, 1)
    );
    // The log names them in words.
    let labels = &gongjiang::program::registry().audit_labels;
    for action in events.iter() {
        assert!(
            labels.iter().any(|(a, l)| a == action && !l.is_empty()),
            "{action} has no name in the log"
        );
    }
    assert_eq!(
        gongjiang::audit::readable::entity_label("scoring_board"),
        "评审"
    );
}
