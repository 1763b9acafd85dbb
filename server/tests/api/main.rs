//! Black-box tests against a real app and a real database (one per test).

mod accounts;
mod auth;
mod authorization;
mod chat_console;
mod chat_ws;
mod contacts;
mod health;
mod helpers;
mod knowledge;
mod onboarding;
mod ops;
mod outbox;
mod reminders;
mod rest;
mod support_settings;
mod surveys;
mod tickets;
mod tickets_console;
mod tickets_mail;
mod tickets_search;
mod training;
mod users;
mod web_form;
