"""Warehouse tables the pipeline writes: `audit` (ledger, findings) and `raw` (accepted rows).

The DDL is plain SQL that DuckDB and PostgreSQL both accept. dbt reads these tables as
sources and never writes them. Every raw row carries its provenance: the submission, the
file's SHA-256, the sheet and the sheet's own 1-based row number.
"""

from __future__ import annotations

AUDIT_SCHEMA = "audit"
RAW_SCHEMA = "raw"

PROVENANCE = """
    submission_id   VARCHAR(64)  NOT NULL,
    file_sha256     VARCHAR(64)  NOT NULL,
    sheet_name      VARCHAR(64)  NOT NULL,
    source_row      INTEGER      NOT NULL,"""

TABLES: dict[str, str] = {
    # One row per submission ever seen, accepted or rejected: a file's content (SHA-256)
    # from one sender (landing folder). The same bytes in two folders are two rows.
    "audit.submissions": """
    submission_id       VARCHAR(64)  PRIMARY KEY,
    file_sha256         VARCHAR(64)  NOT NULL,
    path                VARCHAR(1024) NOT NULL,
    folder_region_code  VARCHAR(16),
    region_code         VARCHAR(16),
    kind                VARCHAR(16),
    period              VARCHAR(16),
    period_start        INTEGER,
    period_end          INTEGER,
    evaluation_year     INTEGER,
    document_date       DATE,
    document_number     VARCHAR(256),
    region_name_given   VARCHAR(256),
    email_kontak        VARCHAR(256),
    template_version    VARCHAR(16),
    framework           VARCHAR(32),
    status              VARCHAR(16)  NOT NULL,
    errors              INTEGER      NOT NULL,
    warnings            INTEGER      NOT NULL,
    size_bytes          BIGINT       NOT NULL,
    received_at         TIMESTAMP    NOT NULL,
    uploaded_at         TIMESTAMP,
    run_id              VARCHAR(256) NOT NULL,
    quarantine_path     VARCHAR(1024)""",
    # Every (content, path) sighting: the same bytes under a second name are recorded here.
    "audit.file_arrivals": """
    file_sha256     VARCHAR(64)   NOT NULL,
    path            VARCHAR(1024) NOT NULL,
    first_seen_at   TIMESTAMP     NOT NULL,
    run_id          VARCHAR(256)  NOT NULL,
    PRIMARY KEY (file_sha256, path)""",
    "audit.findings": """
    submission_id   VARCHAR(64)  NOT NULL,
    finding_no      INTEGER      NOT NULL,
    rule            VARCHAR(32)  NOT NULL,
    severity        VARCHAR(8)   NOT NULL,
    sheet_name      VARCHAR(64),
    source_row      INTEGER,
    column_name     VARCHAR(64),
    value           VARCHAR(256),
    message_id      VARCHAR(64)  NOT NULL,
    message         VARCHAR(2000) NOT NULL,
    message_en      VARCHAR(2000) NOT NULL,
    PRIMARY KEY (submission_id, finding_no)""",
    # What alerts have been delivered (smartprov.alerts.ledger): nothing is sent twice.
    "audit.notifications": """
    notification_key VARCHAR(600)  PRIMARY KEY,
    channel          VARCHAR(32)   NOT NULL,
    recipient        VARCHAR(2000),
    sent_at          TIMESTAMP     NOT NULL,
    run_id           VARCHAR(256),
    relay            VARCHAR(300),
    report_path      VARCHAR(1024)""",
    # The alerts' outbox (smartprov.alerts.ledger): every message is stored before it is
    # sent and marked sent once the relay accepted it; items say what a message covered.
    "audit.outbox": """
    message_key     VARCHAR(600)  PRIMARY KEY,
    kind            VARCHAR(32)   NOT NULL,
    channel         VARCHAR(32)   NOT NULL,
    recipients      VARCHAR(4000),
    cc              VARCHAR(4000),
    reply_to        VARCHAR(500),
    subject         VARCHAR(1000),
    body_text       TEXT,
    body_html       TEXT,
    attachments     TEXT,
    payload         TEXT,
    run_id          VARCHAR(256),
    created_at      TIMESTAMP     NOT NULL,
    attempts        INTEGER       NOT NULL,
    last_error      VARCHAR(2000),
    next_attempt_at TIMESTAMP,
    sent_at         TIMESTAMP,
    relay           VARCHAR(300),
    claim           VARCHAR(64),
    claimed_until   TIMESTAMP""",
    "audit.outbox_items": """
    item_key        VARCHAR(600)  PRIMARY KEY,
    message_key     VARCHAR(600)  NOT NULL,
    recorded_at     TIMESTAMP     NOT NULL""",
    # Open pipeline-failure incidents (smartprov.alerts.incidents): one mail per incident.
    "audit.incidents": """
    incident_key    VARCHAR(600)  PRIMARY KEY,
    dag_id          VARCHAR(250)  NOT NULL,
    task_id         VARCHAR(250)  NOT NULL,
    cause           VARCHAR(2000) NOT NULL,
    opened_at       TIMESTAMP     NOT NULL,
    last_mail_at    TIMESTAMP     NOT NULL,
    failures        INTEGER       NOT NULL,
    closed_at       TIMESTAMP""",
    "raw.masterplan_programs": PROVENANCE
    + """
    program_code        VARCHAR(20)  NOT NULL,
    program_name        VARCHAR(250) NOT NULL,
    dimension           VARCHAR(64)  NOT NULL,
    element             VARCHAR(64)  NOT NULL,
    agencies            VARCHAR(2000) NOT NULL,
    lead_agency         VARCHAR(500) NOT NULL,
    year_start          INTEGER      NOT NULL,
    year_end            INTEGER      NOT NULL,
    is_quick_win        BOOLEAN      NOT NULL,
    budget_idr          DECIMAL(20,2),
    funding_sources     VARCHAR(500),
    indicator           VARCHAR(2000),
    target_value        DOUBLE PRECISION,
    target_unit         VARCHAR(200),
    PRIMARY KEY (submission_id, program_code)""",
    # Template version 2: a program's planned money per year (`anggaran_<YYYY>` columns).
    "raw.masterplan_program_budgets": PROVENANCE
    + """
    program_code    VARCHAR(20)  NOT NULL,
    budget_year     INTEGER      NOT NULL,
    budget_idr      DECIMAL(20,2) NOT NULL,
    PRIMARY KEY (submission_id, program_code, budget_year)""",
    # Template version 2: the masterplan's milestones (optional Identitas labels), one row
    # per masterplan that gives at least one of them; source_row is its first label's row.
    "raw.masterplan_milestones": PROVENANCE
    + """
    adoption_date   DATE,
    legal_basis     VARCHAR(250),
    bimtek_stage    VARCHAR(16),
    mou_date        DATE,
    PRIMARY KEY (submission_id)""",
    # One row per agency named in a program's opd_penanggung_jawab cell, lead first.
    "raw.masterplan_program_agencies": PROVENANCE
    + """
    program_code    VARCHAR(20)  NOT NULL,
    agency_no       INTEGER      NOT NULL,
    agency_name     VARCHAR(500) NOT NULL,
    is_lead         BOOLEAN      NOT NULL,
    PRIMARY KEY (submission_id, program_code, agency_no)""",
    "raw.evaluation_realisations": PROVENANCE
    + """
    program_code        VARCHAR(20)  NOT NULL,
    status              VARCHAR(32)  NOT NULL,
    progress_pct        DOUBLE PRECISION NOT NULL,
    budget_realized_idr DECIMAL(20,2),
    achievement_value   DOUBLE PRECISION,
    notes               VARCHAR(2000),
    PRIMARY KEY (submission_id, program_code)""",
    "raw.evaluation_readiness": PROVENANCE
    + """
    pillar          VARCHAR(32)  NOT NULL,
    indicator       VARCHAR(500) NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    evidence        VARCHAR(2000),
    PRIMARY KEY (submission_id, pillar, indicator)""",
    "raw.evaluation_index": PROVENANCE
    + """
    aspect          VARCHAR(64)  NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (submission_id, aspect)""",
}


# Columns added since a table was first created: warehouses made before get them on the
# next `ensure_schema` (both engines accept ADD COLUMN IF NOT EXISTS).
ADDED_COLUMNS: dict[str, list[str]] = {
    "audit.submissions": ["uploaded_at TIMESTAMP"],
}


def ddl_statements() -> list[str]:
    stmts = [f"CREATE SCHEMA IF NOT EXISTS {AUDIT_SCHEMA}", f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}"]
    for name, body in TABLES.items():
        stmts.append(f"CREATE TABLE IF NOT EXISTS {name} ({body}\n)")
    for name, columns in ADDED_COLUMNS.items():
        stmts.extend(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {col}" for col in columns)
    return stmts


def columns_of(table: str) -> list[str]:
    """Column names of a table, in DDL order."""
    cols = []
    for line in TABLES[table].splitlines():
        word = line.strip().split(" ", 1)[0]
        if word and word != "PRIMARY" and not word.startswith("--"):
            cols.append(word)
    return cols
