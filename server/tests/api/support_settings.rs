//! Support settings through the console's server functions.

use crate::helpers::TestApp;
use crate::tickets::{new_ticket, staff};
use app::api::support::{
    AddHoliday, LoadSupportSettings, SaveBusinessHours, SaveSlaTarget, SaveTeam, SaveTicketType,
};
use app::server::tickets;
use app::server::ServiceError;
use app::types::{Role, SupportSettings, TicketChannel, TicketPriority};

#[tokio::test]
async fn only_admins_and_support_managers_change_support_settings() {
    let app = TestApp::spawn().await;
    let (_, agent_email) = app.staff_user(Role::SupportAgent).await;
    let (_, manager_email) = app.staff_user(Role::SupportManager).await;
    let agent = app.signed_in(&agent_email).await;
    let manager = app.signed_in(&manager_email).await;
    let target = [
        ("priority", "urgent".to_string()),
        ("first_response_minutes", "15".to_string()),
        ("resolution_minutes", "120".to_string()),
    ];
    assert_eq!(
        app.call::<SaveSlaTarget>(&agent, &target).await.status(),
        403
    );
    assert_eq!(
        app.call::<LoadSupportSettings>(&agent, &[]).await.status(),
        403
    );
    assert_eq!(
        app.call::<SaveSlaTarget>(&manager, &target).await.status(),
        200
    );
    let s: SupportSettings = app
        .call::<LoadSupportSettings>(&manager, &[])
        .await
        .json()
        .await
        .expect("json");
    let urgent = s
        .targets
        .iter()
        .find(|t| t.priority == TicketPriority::Urgent)
        .expect("urgent");
    assert_eq!(
        (urgent.first_response_minutes, urgent.resolution_minutes),
        (15, 120)
    );
    let res = app
        .call::<SaveSlaTarget>(
            &manager,
            &[
                ("priority", "urgent".into()),
                ("first_response_minutes", "60".into()),
                ("resolution_minutes", "30".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
}

fn pairs(h: &[(String, String)]) -> Vec<(&str, String)> {
    h.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()
}

#[tokio::test]
async fn new_business_hours_and_holidays_set_the_due_times_of_new_tickets() {
    let app = TestApp::spawn().await;
    let (_, manager_email) = app.staff_user(Role::SupportManager).await;
    let manager = app.signed_in(&manager_email).await;
    let mut hours: Vec<(String, String)> = vec![
        ("time_zone".into(), "Mars/Olympus".into()),
        ("reopen_days".into(), "14".into()),
    ];
    for d in 0..7 {
        hours.push((format!("open[{d}]"), "00:00".into()));
        hours.push((format!("close[{d}]"), "24:00".into()));
    }
    let res = app
        .call::<SaveBusinessHours>(&manager, &pairs(&hours))
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap_or_default().contains("time_zone"));
    hours[0].1 = "Europe/Berlin".into();
    let res = app
        .call::<SaveBusinessHours>(&manager, &pairs(&hours))
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    // Round the clock now: a high ticket (960 minutes) is due 16 hours after it is raised,
    // unless today is a holiday, in which case the clock starts tomorrow.
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    let minutes = (t.summary.resolution_due - t.summary.created_at).num_minutes();
    assert!((959..=960).contains(&minutes), "{minutes}");
    let berlin_today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let res = app
        .call::<AddHoliday>(
            &manager,
            &[
                ("day", berlin_today.to_string()),
                ("name", "Company day".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    let minutes = (t.summary.resolution_due - t.summary.created_at).num_minutes();
    assert!(
        minutes > 960,
        "the holiday adds the rest of today: {minutes}"
    );
}

#[tokio::test]
async fn a_new_ticket_type_can_be_used_and_a_retired_one_cannot() {
    let app = TestApp::spawn().await;
    let (_, admin_email) = app.staff_user(Role::Admin).await;
    let admin = app.signed_in(&admin_email).await;
    let res = app
        .call::<SaveTicketType>(&admin, &[("key", "Bad Key!".into()), ("label", "x".into())])
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call::<SaveTicketType>(
            &admin,
            &[
                ("key", "network".into()),
                ("label", "Network".into()),
                ("active", "on".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .call::<SaveTicketType>(
            &admin,
            &[("key", "billing".into()), ("label", "Billing".into())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Switch down");
    input.account_id = Some(acme);
    input.ticket_type = Some("network".into());
    tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("network ticket");
    input.ticket_type = Some("billing".into());
    assert!(matches!(
        tickets::create(&app.state, &agent, &input, TicketChannel::Phone).await,
        Err(ServiceError::Validation(_))
    ));
}

#[tokio::test]
async fn a_team_keeps_only_support_staff_as_members() {
    let app = TestApp::spawn().await;
    let (_, manager_email) = app.staff_user(Role::SupportManager).await;
    let (agent_id, _) = app.staff_user(Role::SupportAgent).await;
    let (rep_id, _) = app.staff_user(Role::SalesRep).await;
    let manager = app.signed_in(&manager_email).await;
    let res = app
        .call::<SaveTeam>(
            &manager,
            &[
                ("name", "Kiosks".into()),
                ("auto_assign", "on".into()),
                ("members[0]", agent_id.to_string()),
                ("members[3]", rep_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call::<SaveTeam>(
            &manager,
            &[
                ("name", "Kiosks".into()),
                ("auto_assign", "on".into()),
                ("members[1]", agent_id.to_string()),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let s: SupportSettings = app
        .call::<LoadSupportSettings>(&manager, &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(s.teams.len(), 1);
    assert!(s.teams[0].auto_assign);
    assert_eq!(s.teams[0].members.len(), 1);
    assert_eq!(s.teams[0].members[0].id, agent_id.to_string());
}

#[tokio::test]
async fn a_policy_changed_outside_this_instance_applies_to_new_tickets_once_its_notice_arrives() {
    let app = TestApp::spawn().await;
    app.desk_open_round_the_clock().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let raise = || tickets::create(&app.state, &agent, &input, TicketChannel::Phone);
    let minutes =
        |t: &app::types::Ticket| (t.summary.resolution_due - t.summary.created_at).num_minutes();
    // The instance keeps the terms once its listener hears their changes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let t = raise().await.expect("create");
        assert!((959..=960).contains(&minutes(&t)), "{}", minutes(&t));
        if app.state.sla_terms.is_kept() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the terms were never kept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Another instance, or someone with psql, changes the policy.
    sqlx::query(
        "INSERT INTO sla_policy (priority, first_response_minutes, resolution_minutes) VALUES ('high', 30, 120)
         ON CONFLICT (priority) DO UPDATE SET first_response_minutes = 30, resolution_minutes = 120",
    )
    .execute(&app.db)
    .await
    .expect("policy");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.state.sla_terms.is_kept() {
        assert!(
            std::time::Instant::now() < deadline,
            "the change was never heard"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let t = raise().await.expect("create");
    assert!((119..=120).contains(&minutes(&t)), "{}", minutes(&t));
}
