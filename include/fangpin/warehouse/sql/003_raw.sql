-- Raw layer: one table per feed, values normalised by the loader (see docs/ARCHITECTURE.md).
-- Generated tables must keep exactly these columns; fangpin.load.raw_tables checks it.

create table if not exists raw.registry_households (
    _load_id bigint not null, _snapshot_month date not null, _source_file text not null, _source_line bigint not null,
    household_id text, county_code text, village_code text, head_id_number text,
    household_type text, monitoring_type text, monitoring_status text,
    identified_on date, eliminated_on date, risk_causes text,
    per_capita_net_income numeric(14,2), relocated boolean
);
create table if not exists raw.registry_members (
    _load_id bigint not null, _snapshot_month date not null, _source_file text not null, _source_line bigint not null,
    household_id text, id_number text, name text, relation text, labour_capacity text, health text
);
create table if not exists raw.education (
    _load_id bigint not null, _snapshot_month date not null, _source_file text not null, _source_line bigint not null,
    id_number text, name text, school_code text, school_name text, stage text, status text,
    status_date date, subsidy_yuan numeric(14,2)
);
create table if not exists raw.medical (
    _load_id bigint not null, _snapshot_month date not null, _source_file text not null, _source_line bigint not null,
    id_number text, name text, coverage_year integer, scheme text, enrollment_status text,
    chronic_outpatient boolean, total_expense_yuan numeric(14,2), reimbursed_yuan numeric(14,2),
    out_of_pocket_yuan numeric(14,2)
);
create table if not exists raw.housing (
    _load_id bigint not null, _snapshot_month date not null, _source_file text not null, _source_line bigint not null,
    village_code text, householder_id_number text, appraisal_date date, safety_grade text,
    disaster_damaged boolean, rectification_status text, rectified_on date
);
create table if not exists raw.water (
    _load_id bigint not null, _snapshot_month date not null, _source_file text not null, _source_line bigint not null,
    village_code text, project_id text, supply_mode text, quantity_ok boolean, quality_ok boolean,
    convenience_ok boolean, reliability_ok boolean, hidden_danger boolean,
    rectification_status text, inspected_on date
);
create table if not exists raw.employment (
    _load_id bigint not null, _snapshot_month date not null, _source_file text not null, _source_line bigint not null,
    id_number text, name text, employment_status text, work_location text, months_employed integer,
    monthly_income_yuan numeric(14,2)
);
create table if not exists raw.social_assistance (
    _load_id bigint not null, _snapshot_month date not null, _source_file text not null, _source_line bigint not null,
    id_number text, name text, assistance_type text, monthly_amount_yuan numeric(14,2),
    start_on date, end_on date
);
