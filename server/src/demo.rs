//! Realistic demo data with a size knob: staff of every role, accounts with
//! locations, about five contacts per account, and one client with portal access.
//! Inserted in bulk (UNNEST) so that benchmark sizes load in seconds.

use crate::config::Config;
use crate::startup;
use app::server::auth::passwords;
use fake::faker::address::en::{CityName, CountryName};
use fake::faker::company::en::{CompanyName, Industry};
use fake::faker::job::en::Title as JobTitle;
use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use rand::Rng;
use sqlx::PgPool;
use uuid::Uuid;

pub const DEMO_PASSWORD: &str = "steward-demo";

pub const STAFF: [(&str, &str, &str); 5] = [
    ("admin@steward.test", "Alex Admin", "admin"),
    (
        "support.manager@steward.test",
        "Sam Support-Manager",
        "support_manager",
    ),
    ("agent@steward.test", "Ada Agent", "support_agent"),
    (
        "sales.manager@steward.test",
        "Morgan Sales-Manager",
        "sales_manager",
    ),
    ("sales.rep@steward.test", "Riley Sales-Rep", "sales_rep"),
];
pub const CLIENT_EMAIL: &str = "client@acme.example";

pub async fn run(config: &Config, accounts: usize, if_empty: bool) -> Result<(), String> {
    let pool = startup::connect(config).await.map_err(|e| e.to_string())?;
    startup::migrate(&pool).await.map_err(|e| e.to_string())?;
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM app_user")
        .fetch_one(&pool)
        .await
        .map_err(|e| e.to_string())?;
    if if_empty && users > 0 {
        say("Demo data already loaded.");
    } else {
        let started = std::time::Instant::now();
        let (a, c) = load(&pool, accounts).await.map_err(|e| e.to_string())?;
        let state = startup::state(config, pool.clone()).map_err(|e| e.to_string())?;
        let t = load_tickets(&state).await.map_err(|e| e.to_string())?;
        load_chats(&state).await.map_err(|e| e.to_string())?;
        load_articles(&state).await.map_err(|e| e.to_string())?;
        load_onboarding(&state).await.map_err(|e| e.to_string())?;
        load_feedback(&state.db).await.map_err(|e| e.to_string())?;
        say(&format!(
            "Loaded {a} accounts, {c} contacts and {t} tickets in {:.1}s.",
            started.elapsed().as_secs_f64()
        ));
    }
    print_logins();
    Ok(())
}

/// Prints a line; a closed pipe (`| head`) is not an error worth a panic.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

pub fn print_logins() {
    say(&format!(
        "\nDemo logins (password for all: {DEMO_PASSWORD}):"
    ));
    for (email, _, role) in STAFF {
        say(&format!("  {role:<16} {email}"));
    }
    say(&format!(
        "  {:<16} {CLIENT_EMAIL}  (client portal, Acme Corporation)",
        "client"
    ));
}

/// A few tickets at Acme so that the desk and the portal are not empty: one raised by the
/// demo client and answered, one urgent phone ticket, one resolved.
pub async fn load_tickets(
    state: &app::server::AppState,
) -> Result<usize, app::server::ServiceError> {
    use app::server::auth::{Caller, ClientCaller, StaffCaller};
    use app::server::tickets;
    use app::types::{NewTicket, Role, TicketChanges, TicketChannel, TicketPriority, TicketStatus};
    let db = &state.db;
    let agent: (app::types::UserId,) =
        sqlx::query_as("SELECT id FROM app_user WHERE email = 'agent@steward.test'")
            .fetch_one(db)
            .await?;
    let client: (
        app::types::UserId,
        app::types::ContactId,
        app::types::AccountId,
    ) = sqlx::query_as(
        "SELECT u.id, c.id, c.account_id FROM app_user u JOIN contact c ON c.id = u.contact_id
         WHERE u.email = $1",
    )
    .bind(CLIENT_EMAIL)
    .fetch_one(db)
    .await?;
    let agent = Caller::Staff(StaffCaller {
        user_id: Some(agent.0),
        api_key_id: None,
        role: Role::SupportAgent,
    });
    let client_caller = Caller::Client(ClientCaller {
        user_id: client.0,
        contact_id: client.1,
        account_id: client.2,
    });
    let raised = tickets::create(
        state,
        &client_caller,
        &NewTicket {
            subject: "Receipt printer jams at the front desk".into(),
            description: "Since Monday the receipt printer jams on every second receipt.".into(),
            ticket_type: Some("hardware".into()),
            priority: Some(TicketPriority::Medium),
            asset_serial: Some("RP-4471".into()),
            ..Default::default()
        },
        TicketChannel::Portal,
    )
    .await?;
    tickets::reply(
        state,
        &agent,
        raised.summary.id,
        "Thanks for the report. Could you send a photo of the paper path?",
        false,
    )
    .await?;
    tickets::reply(
        state,
        &agent,
        raised.summary.id,
        "Likely the worn roller; spare in stock.",
        true,
    )
    .await?;
    let urgent = NewTicket {
        subject: "Kiosk at the Lyon entrance shows a black screen".into(),
        description: "Called in by the site manager.".into(),
        ticket_type: Some("hardware".into()),
        priority: Some(TicketPriority::Urgent),
        account_id: Some(client.2),
        contact_id: Some(client.1),
        tags: vec!["kiosk".into()],
        ..Default::default()
    };
    tickets::create(state, &agent, &urgent, TicketChannel::Phone).await?;
    let question = NewTicket {
        subject: "How do I export last month's invoices?".into(),
        description: "Looking for a CSV export.".into(),
        ticket_type: Some("billing".into()),
        priority: Some(TicketPriority::Low),
        account_id: Some(client.2),
        contact_id: Some(client.1),
        ..Default::default()
    };
    let done = tickets::create(state, &agent, &question, TicketChannel::Phone).await?;
    tickets::reply(
        state,
        &agent,
        done.summary.id,
        "Billing → Invoices → Export CSV.",
        false,
    )
    .await?;
    tickets::update(
        state,
        &agent,
        done.summary.id,
        &TicketChanges {
            status: Some(TicketStatus::Resolved),
            ..Default::default()
        },
    )
    .await?;
    Ok(3)
}

/// Chat for the demo: canned responses, a desk that answers around the clock (so the
/// demo works at any hour), and one finished conversation at Acme.
/// A small help centre: categories and articles for each kind of reader.
pub async fn load_articles(state: &app::server::AppState) -> Result<(), app::server::ServiceError> {
    use app::server::auth::{Caller, StaffCaller};
    use app::server::knowledge;
    use app::types::{ArticleInput, ArticleStatus, Role};
    let editor = Caller::Staff(StaffCaller {
        user_id: None,
        api_key_id: None,
        role: Role::SupportManager,
    });
    let db = &state.db;
    let mut categories = std::collections::HashMap::new();
    for name in [
        "Getting started",
        "Hardware",
        "Payments",
        "Account and billing",
    ] {
        let id = knowledge::save_category(db, &editor, None, name).await?;
        categories.insert(name, id);
    }
    let articles: [(&str, &str, &str, &str, &str, ArticleStatus); 8] = [
        ("Getting started", "Signing in to the client portal", "public", "portal, password",
         "## First sign-in\n\nFollow the link in your invitation email and choose a password of at least 12 characters.\n\n## Forgot your password?\n\nUse **Forgot password** on the sign-in page: we send a link that works once, for two hours.", ArticleStatus::Published),
        ("Getting started", "Raising a support ticket", "public", "tickets",
         "1. Open **Tickets** in the portal and choose **Raise a ticket**.\n2. Give a short subject and describe what happened, since when, and what you expected.\n3. Add the device's serial number if it is about hardware.\n\nYou can follow every ticket's status in the portal; replies also arrive by email.", ArticleStatus::Published),
        ("Hardware", "Receipt printer prints blank receipts", "clients", "printer, receipts",
         "Blank receipts almost always mean the thermal paper roll is in **upside down**.\n\n- Open the cover and turn the roll so the paper comes off the bottom.\n- Scratch the paper with a fingernail: the printable side darkens.\n\nStill blank? Raise a ticket with the printer's serial number.", ArticleStatus::Published),
        ("Hardware", "Label printer offline", "public", "printer, network",
         "When the label printer shows as *offline*:\n\n1. Check the power and network cables.\n2. Restart the printer and wait one minute.\n3. Print a test page from the printer's own menu.\n\n| Light | Meaning |\n| --- | --- |\n| Green | Ready |\n| Orange | Paper out |\n| Red | Fault: contact support |", ArticleStatus::Published),
        ("Payments", "Card reader not registered", "clients", "card reader, payments",
         "If the till says **terminal not registered**, the card reader lost its pairing.\n\nHold the reader's pairing button for five seconds until the light blinks blue, then choose *Pair reader* on the till.", ArticleStatus::Published),
        ("Account and billing", "Understanding your invoice", "public", "billing, invoice",
         "Invoices are issued on the first working day of the month and cover the month before. Each line shows the site (location), the service and the period.", ArticleStatus::Published),
        ("Hardware", "Escalating a hardware fault to the vendor", "staff", "printer, escalation",
         "Internal: after two failed remote fixes, open a vendor case with the serial number and attach the ticket's history. Vendor hotline numbers are in the shared drive.", ArticleStatus::Published),
        ("Payments", "Contactless limits (draft)", "public", "payments",
         "Work in progress: the limits per country.", ArticleStatus::Draft),
    ];
    for (category, title, visibility, tags, body, status) in articles {
        let input = ArticleInput {
            title: title.into(),
            slug: String::new(),
            category_id: categories[category].to_string(),
            tags: tags.into(),
            visibility: visibility.into(),
            body: body.into(),
        };
        knowledge::save(db, &editor, None, &input, status).await?;
    }
    Ok(())
}

/// The standard onboarding template, Acme's onboarding, a few dozen more at various stages
/// for the board, and training slots over the next two weeks.
pub async fn load_onboarding(
    state: &app::server::AppState,
) -> Result<(), app::server::ServiceError> {
    use app::server::auth::{Caller, StaffCaller};
    use app::server::{onboarding, training};
    use app::types::{
        OnboardingStart, Role, SlotInput, StepAction, StepOwnerSide, TemplateInput, TemplateStep,
    };
    let db = &state.db;
    let step = |title: &str, side: Option<Role>, due: i32, depends: &[i32]| TemplateStep {
        title: title.into(),
        owner_side: if side.is_some() {
            StepOwnerSide::Staff
        } else {
            StepOwnerSide::Client
        },
        owner_role: side,
        due_offset_days: due,
        depends_on: depends.to_vec(),
        ..TemplateStep::blank()
    };
    let steps = vec![
        TemplateStep {
            description: "Review the contract and introduce the support team.".into(),
            checklist: vec![
                "Review the contract".into(),
                "Introduce the support team".into(),
            ],
            action: StepAction::CreateTask,
            action_subject: "Prepare the kick-off call".into(),
            ..step("Welcome and kick-off", Some(Role::SupportManager), 1, &[])
        },
        TemplateStep {
            description: "Upload the signed service agreement.".into(),
            required_documents: vec!["Signed service agreement".into()],
            ..step("Sign the service agreement", None, 3, &[])
        },
        TemplateStep {
            description: "Tell us where your sites are and who to call there.".into(),
            checklist: vec![
                "Confirm the site addresses".into(),
                "Name a contact per site".into(),
            ],
            ..step("Tell us about your sites", None, 5, &[])
        },
        TemplateStep {
            action: StepAction::ScheduleTraining,
            ..step("Book your first training call", None, 7, &[2])
        },
        TemplateStep {
            checklist: vec![
                "Create the sites".into(),
                "Register the installed devices".into(),
            ],
            ..step(
                "Configure the account",
                Some(Role::SupportAgent),
                10,
                &[2, 3],
            )
        },
        TemplateStep {
            action: StepAction::SendEmail,
            action_subject: "How is it going, {{contact_first_name}}?".into(),
            action_body: "Hello {{contact_first_name}},\n\nYou have been with us a few weeks now. \
                Anything we can do better? Just reply to this email.\n\n{{account_manager}}"
                .into(),
            ..step("Go-live review", Some(Role::SupportManager), 21, &[4, 5])
        },
    ];
    onboarding::create_template(
        db,
        &Caller::System,
        &TemplateInput {
            name: "Standard onboarding".into(),
            description: "For every new customer: agreement, sites, training, go-live.".into(),
            is_default: true,
            steps,
        },
    )
    .await?;
    // Acme (the demo client's company) and the first customers get an onboarding each;
    // some have moved on a few steps so that the board has several columns.
    let customers: Vec<app::types::AccountId> = sqlx::query_scalar(
        "SELECT a.id FROM account a WHERE a.account_type = 'customer' AND a.parent_id IS NULL
         ORDER BY a.name <> 'Acme Corporation', a.created_at LIMIT 40",
    )
    .fetch_all(db)
    .await?;
    for (i, account) in customers.into_iter().enumerate() {
        let mut tx = db.begin().await?;
        let started = onboarding::start_in(
            &mut tx,
            &state.settings,
            account,
            None,
            OnboardingStart::BecameCustomer,
            None,
        )
        .await?;
        if let (Some(id), true) = (started, i > 0) {
            let done = (i % 5) as i32;
            sqlx::query(
                "UPDATE onboarding_step SET status = 'done', completed_at = now(), completed_by_name = 'Demo'
                 WHERE onboarding_id = $1 AND position <= $2",
            )
            .bind(id)
            .bind(done)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE onboarding SET started_at = now() - make_interval(days => $2) WHERE id = $1")
                .bind(id)
                .bind((i % 15) as i32)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE onboarding_step SET due_on = due_on - ($2::int) WHERE onboarding_id = $1",
            )
            .bind(id)
            .bind((i % 15) as i32)
            .execute(&mut *tx)
            .await?;
            onboarding::repo::refresh(&mut tx, id).await?;
        }
        tx.commit().await?;
    }
    let host: app::types::UserId =
        sqlx::query_scalar("SELECT id FROM app_user WHERE email = 'support.manager@steward.test'")
            .fetch_one(db)
            .await?;
    let manager = Caller::Staff(StaffCaller {
        user_id: Some(host),
        api_key_id: None,
        role: Role::SupportManager,
    });
    let today = chrono::Utc::now().date_naive();
    for day in [2, 3, 5, 8, 10, 12] {
        let date = today + chrono::Duration::days(day);
        training::publish_slot(
            db,
            &manager,
            &SlotInput {
                title: "First training call".into(),
                starts_local: format!("{}T10:00", date.format("%Y-%m-%d")),
                time_zone: "Europe/Paris".into(),
                duration_minutes: "60".into(),
                capacity: "2".into(),
                meeting_url: Some("https://meet.example.test/steward-training".into()),
            },
        )
        .await?;
    }
    Ok(())
}

/// A year of answered surveys (CSAT mostly, some NPS and CES) so that the feedback pages
/// have trends to show. All were sent more than a week ago, so they never throttle a new
/// request in a demo.
pub async fn load_feedback(db: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "WITH people AS (
            SELECT row_number() OVER (ORDER BY c.id) AS n, c.id, c.account_id,
                   (SELECT email FROM contact_email e WHERE e.contact_id = c.id ORDER BY position LIMIT 1) AS email
            FROM contact c),
         agents AS (
            SELECT array_agg(id ORDER BY email) AS ids FROM app_user
            WHERE is_active AND role IN ('support_agent', 'support_manager')),
         answers AS (
            SELECT g,
                   CASE WHEN g % 10 = 0 THEN 'nps' WHEN g % 10 = 5 THEN 'ces' ELSE 'csat' END AS kind,
                   8 + (g * 7) % 350 AS days_ago
            FROM generate_series(1, 600) g)
         INSERT INTO survey_request (id, kind, trigger_key, account_id, contact_id, to_address, agent_id,
             ticket_type, channel, subject, sent_at, expires_at, score, comment, answered_at)
         SELECT steward_uuid_v7(), a.kind, 'demo:' || a.g, p.account_id, p.id, coalesce(p.email, 'demo@example.test'),
                CASE WHEN a.kind = 'nps' THEN NULL ELSE ag.ids[1 + a.g % cardinality(ag.ids)] END,
                CASE WHEN a.kind = 'nps' THEN NULL ELSE (ARRAY['hardware', 'software', 'question', 'billing'])[1 + a.g % 4] END,
                CASE WHEN a.kind = 'nps' THEN NULL ELSE (ARRAY['portal', 'email', 'phone', 'chat', 'web_form'])[1 + a.g % 5] END,
                CASE WHEN a.kind = 'nps' THEN '' ELSE 'Demo ticket ' || a.g END,
                now() - make_interval(days => a.days_ago), now() - make_interval(days => a.days_ago - 14),
                CASE a.kind
                    WHEN 'nps' THEN (ARRAY[10, 9, 9, 8, 7, 10, 6, 3, 9, 10, 5])[1 + (a.g * 7) % 11]
                    WHEN 'ces' THEN (ARRAY[7, 6, 6, 5, 3, 7, 2])[1 + (a.g * 3) % 7]
                    ELSE (ARRAY[5, 5, 4, 4, 4, 5, 3, 2, 5, 1])[1 + (a.g * 3) % 10] END,
                CASE WHEN a.g % 4 = 0 THEN (ARRAY['Quick and friendly, thank you.', 'Took too long to get an answer.',
                    'The technician fixed it on the first visit.', 'I had to explain the problem twice.',
                    'Great follow-up by phone.'])[1 + a.g % 5] END,
                now() - make_interval(days => a.days_ago) + interval '3 hours'
         FROM answers a JOIN people p ON p.n = 1 + (a.g * 13) % (SELECT count(*) FROM people), agents ag
         WHERE cardinality(ag.ids) > 0",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn load_chats(state: &app::server::AppState) -> Result<(), app::server::ServiceError> {
    use app::server::auth::{Caller, ClientCaller, StaffCaller};
    use app::server::chat;
    use app::types::{AgentPresence, Role};
    let db = &state.db;
    sqlx::query("UPDATE chat_settings SET offline_outside_hours = false")
        .execute(db)
        .await?;
    let admin = Caller::Staff(StaffCaller {
        user_id: None,
        api_key_id: None,
        role: Role::Admin,
    });
    for (shortcut, title, body) in [
        ("hello", "Greeting", "Hello! Thanks for reaching out. How can I help you today?"),
        ("restart", "Restart the device", "Could you switch the device off, wait ten seconds and switch it on again? Tell me what you see then."),
        ("ticket", "We'll follow up by ticket", "I have raised a ticket for this so that our technicians can follow up; you will find it under Tickets in your portal."),
        ("thanks", "Closing", "Thank you for chatting with us. Have a good day!"),
    ] {
        chat::save_canned_response(db, &admin, shortcut, title, body).await?;
    }
    let (agent_id,): (app::types::UserId,) =
        sqlx::query_as("SELECT id FROM app_user WHERE email = 'agent@steward.test'")
            .fetch_one(db)
            .await?;
    let (user_id, contact_id, account_id): (app::types::UserId, app::types::ContactId, app::types::AccountId) =
        sqlx::query_as(
            "SELECT u.id, c.id, c.account_id FROM app_user u JOIN contact c ON c.id = u.contact_id WHERE u.email = $1",
        )
        .bind(CLIENT_EMAIL)
        .fetch_one(db)
        .await?;
    let agent = Caller::Staff(StaffCaller {
        user_id: Some(agent_id),
        api_key_id: None,
        role: Role::SupportAgent,
    });
    let client = Caller::Client(ClientCaller {
        user_id,
        contact_id,
        account_id,
    });
    chat::set_presence(db, &agent, AgentPresence::Online).await?;
    let started = chat::start(
        db,
        &client,
        "Card reader at the café till",
        None,
        "The card reader at the café says 'terminal not registered'.",
        uuid::Uuid::new_v4(),
    )
    .await?;
    chat::accept(db, &agent, started.id).await?;
    let agent_side = chat::participant(db, &agent).await?;
    let client_side = chat::participant(db, &client).await?;
    for (who, text) in [
        (
            &agent_side,
            "Hello! Could you switch it off, wait ten seconds and switch it on again?",
        ),
        (&client_side, "Done, it works again. Thanks!"),
        (&agent_side, "Great. Thank you for chatting with us!"),
    ] {
        chat::send(db, who, started.id, uuid::Uuid::new_v4(), text, false).await?;
    }
    chat::close(db, &agent, started.id).await?;
    chat::rate(
        db,
        &client,
        started.id,
        5,
        &Some("Quick and friendly.".into()),
    )
    .await?;
    // The demo agent is not really at a desk: offline until they open the console.
    chat::set_presence(db, &agent, AgentPresence::Offline).await?;
    Ok(())
}

/// Loads `accounts` top-level accounts plus locations and contacts. Returns (accounts, contacts).
pub async fn load(pool: &PgPool, accounts: usize) -> Result<(usize, usize), sqlx::Error> {
    let hash = passwords::hash_blocking(DEMO_PASSWORD)
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let mut tx = pool.begin().await?;
    let mut staff_ids = Vec::new();
    for (email, name, role) in STAFF {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO app_user (id, email, display_name, password_hash, kind, role)
             VALUES ($1, $2, $3, $4, 'staff', $5)
             ON CONFLICT (lower(email)) DO UPDATE SET display_name = EXCLUDED.display_name
             RETURNING id",
        )
        .bind(Uuid::new_v4())
        .bind(email)
        .bind(name)
        .bind(&hash)
        .bind(role)
        .fetch_one(&mut *tx)
        .await?;
        staff_ids.push(id);
    }
    let owners: Vec<Uuid> = vec![staff_ids[3], staff_ids[4], staff_ids[1]];

    let mut rng = rand::thread_rng();
    let mut acc = AccountRows::default();
    let mut con = ContactRows::default();
    let run = &Uuid::new_v4().simple().to_string()[..6];

    // The client's company, present once so the demo login has something to see.
    let acme_loaded: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM contact_email WHERE lower(email) = $1)")
            .bind(CLIENT_EMAIL)
            .fetch_one(&mut *tx)
            .await?;
    let casey = Uuid::new_v4();
    if !acme_loaded {
        let acme = Uuid::new_v4();
        acc.push(
            acme,
            "Acme Corporation".into(),
            "customer",
            None,
            Some(format!("ERP-ACME-{run}")),
            Some(owners[0]),
            "Manufacturing",
            "Paris",
            "France",
        );
        acc.push(
            Uuid::new_v4(),
            "Acme Corporation – Lyon".into(),
            "customer",
            Some(acme),
            None,
            Some(owners[0]),
            "Manufacturing",
            "Lyon",
            "France",
        );
        con.push(
            casey,
            acme,
            "Casey".into(),
            "Client".into(),
            "Operations Director".into(),
            CLIENT_EMAIL.into(),
        );
    }

    for i in 0..accounts {
        let id = Uuid::new_v4();
        let kind = match rng.gen_range(0..100) {
            0..=54 => "customer",
            55..=89 => "prospect",
            90..=95 => "vendor",
            _ => "competitor",
        };
        let name: String = format!("{} {}", CompanyName().fake::<String>(), i + 1);
        let industry: String = Industry().fake();
        let city: String = CityName().fake();
        let country: String = CountryName().fake();
        let owner = owners[i % owners.len()];
        let accounting = (kind == "customer").then(|| format!("ERP-{run}-{:06}", i + 1));
        acc.push(
            id,
            name.clone(),
            kind,
            None,
            accounting,
            Some(owner),
            &industry,
            &city,
            &country,
        );
        if rng.gen_ratio(3, 10) {
            for l in 0..rng.gen_range(1..=3) {
                let city: String = CityName().fake();
                acc.push(
                    Uuid::new_v4(),
                    format!("{name} – {city}"),
                    kind,
                    Some(id),
                    None,
                    Some(owner),
                    &industry,
                    &city,
                    &country,
                );
                let _ = l;
            }
        }
        for n in 0..5 {
            let first: String = FirstName().fake();
            let last: String = LastName().fake();
            let title: String = JobTitle().fake();
            let email = format!(
                "{}.{}.{}{}@example.com",
                first
                    .to_lowercase()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), ""),
                last.to_lowercase()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), ""),
                run,
                i * 5 + n
            );
            con.push(Uuid::new_v4(), id, first, last, title, email);
        }
    }

    for chunk in acc.chunks(2000) {
        sqlx::query(
            "INSERT INTO account (id, name, account_type, status, parent_id, accounting_id, owner_id, industry, city, country, created_at)
             SELECT id, name, t, 'active', parent, acct, owner, ind, city, country,
                    now() - (random() * interval '700 days')
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::uuid[], $7::text[], $8::text[], $9::text[])
                  AS x(id, name, t, parent, acct, owner, ind, city, country)",
        )
        .bind(chunk.0)
        .bind(chunk.1)
        .bind(chunk.2)
        .bind(chunk.3)
        .bind(chunk.4)
        .bind(chunk.5)
        .bind(chunk.6)
        .bind(chunk.7)
        .bind(chunk.8)
        .execute(&mut *tx)
        .await?;
    }
    for chunk in con.chunks(5000) {
        sqlx::query(
            "INSERT INTO contact (id, account_id, first_name, last_name, title, status, phones)
             SELECT id, acc, f, l, t, 'active', ARRAY['+33 1 ' || (10000000 + (random() * 89999999)::int)::text]
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) AS x(id, acc, f, l, t)",
        )
        .bind(chunk.0)
        .bind(chunk.1)
        .bind(chunk.2)
        .bind(chunk.3)
        .bind(chunk.4)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO contact_email (contact_id, position, email)
             SELECT id, 0, e FROM unnest($1::uuid[], $2::text[]) AS x(id, e)",
        )
        .bind(chunk.0)
        .bind(chunk.5)
        .execute(&mut *tx)
        .await?;
    }
    if !acme_loaded {
        sqlx::query(
            "INSERT INTO app_user (id, email, display_name, password_hash, kind, contact_id)
             VALUES ($1, $2, 'Casey Client', $3, 'client', $4)",
        )
        .bind(Uuid::new_v4())
        .bind(CLIENT_EMAIL)
        .bind(&hash)
        .bind(casey)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    sqlx::raw_sql("ANALYZE account; ANALYZE contact; ANALYZE contact_email")
        .execute(pool)
        .await?;
    Ok((acc.0.len(), con.0.len()))
}

#[derive(Default)]
struct AccountRows(
    Vec<Uuid>,
    Vec<String>,
    Vec<String>,
    Vec<Option<Uuid>>,
    Vec<Option<String>>,
    Vec<Option<Uuid>>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

type AccountChunk<'a> = (
    &'a [Uuid],
    &'a [String],
    &'a [String],
    &'a [Option<Uuid>],
    &'a [Option<String>],
    &'a [Option<Uuid>],
    &'a [String],
    &'a [String],
    &'a [String],
);

impl AccountRows {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: Uuid,
        name: String,
        kind: &str,
        parent: Option<Uuid>,
        acct: Option<String>,
        owner: Option<Uuid>,
        ind: &str,
        city: &str,
        country: &str,
    ) {
        self.0.push(id);
        self.1.push(name);
        self.2.push(kind.into());
        self.3.push(parent);
        self.4.push(acct);
        self.5.push(owner);
        self.6.push(ind.into());
        self.7.push(city.into());
        self.8.push(country.into());
    }

    /// Parents always precede their locations, so chunks insert in order.
    fn chunks(&self, n: usize) -> Vec<AccountChunk<'_>> {
        (0..self.0.len())
            .step_by(n)
            .map(|s| {
                let e = (s + n).min(self.0.len());
                (
                    &self.0[s..e],
                    &self.1[s..e],
                    &self.2[s..e],
                    &self.3[s..e],
                    &self.4[s..e],
                    &self.5[s..e],
                    &self.6[s..e],
                    &self.7[s..e],
                    &self.8[s..e],
                )
            })
            .collect()
    }
}

#[derive(Default)]
struct ContactRows(
    Vec<Uuid>,
    Vec<Uuid>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

type ContactChunk<'a> = (
    &'a [Uuid],
    &'a [Uuid],
    &'a [String],
    &'a [String],
    &'a [String],
    &'a [String],
);

impl ContactRows {
    fn push(
        &mut self,
        id: Uuid,
        account: Uuid,
        first: String,
        last: String,
        title: String,
        email: String,
    ) {
        self.0.push(id);
        self.1.push(account);
        self.2.push(first);
        self.3.push(last);
        self.4.push(title);
        self.5.push(email);
    }

    fn chunks(&self, n: usize) -> Vec<ContactChunk<'_>> {
        (0..self.0.len())
            .step_by(n)
            .map(|s| {
                let e = (s + n).min(self.0.len());
                (
                    &self.0[s..e],
                    &self.1[s..e],
                    &self.2[s..e],
                    &self.3[s..e],
                    &self.4[s..e],
                    &self.5[s..e],
                )
            })
            .collect()
    }
}
