-- The core database as production built it: database/schema.sql (2025-10-27),
-- written from the data dictionary, defects included: the allocation defaults
-- sum to 1.099 and the policies call current_setting() without missing_ok.
-- (The broken seed insert into ceremonial_events is left out: it cannot run.)
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS "pgcrypto";

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    wallet_address VARCHAR(255) UNIQUE NOT NULL,
    reputation_score DECIMAL(5,2) DEFAULT 0.00,
    jurisdiction VARCHAR(100),
    kyc_status VARCHAR(50) DEFAULT 'pending',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE treasury_ledger (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    tx_hash VARCHAR(255) UNIQUE,
    transaction_type VARCHAR(50) NOT NULL CHECK (transaction_type IN ('mint', 'burn', 'withdrawal', 'deposit', 'transfer')),
    amount_azr DECIMAL(30,8) NOT NULL,
    amount_usd DECIMAL(20,8) NOT NULL,
    treasury_allocation DECIMAL(5,4) DEFAULT 0.7000,
    founder_allocation DECIMAL(5,4) DEFAULT 0.1100,
    burn_allocation DECIMAL(5,4) DEFAULT 0.0500,
    circulation_allocation DECIMAL(5,4) DEFAULT 0.2390,
    recipient_address VARCHAR(255),
    sender_address VARCHAR(255),
    gas_used BIGINT,
    gas_price_wei DECIMAL(30,0),
    blockchain_status VARCHAR(50) DEFAULT 'pending',
    reason TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    confirmed_at TIMESTAMP WITH TIME ZONE,
    processed_at TIMESTAMP WITH TIME ZONE
);

CREATE TABLE mining_sessions (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    session_id VARCHAR(255) UNIQUE NOT NULL,
    user_id UUID REFERENCES users(id),
    start_time TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    end_time TIMESTAMP WITH TIME ZONE,
    algorithm VARCHAR(100) NOT NULL,
    total_hashrate_mhs DECIMAL(10,2),
    total_earnings_usd DECIMAL(20,8) DEFAULT 0,
    azr_minted DECIMAL(30,8) DEFAULT 0,
    power_consumption_watts INTEGER DEFAULT 35,
    temperature_celsius DECIMAL(5,2) DEFAULT 65.0,
    pool_name VARCHAR(255),
    pool_url VARCHAR(500),
    status VARCHAR(50) DEFAULT 'active' CHECK (status IN ('active', 'completed', 'failed', 'interrupted')),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE mining_statistics (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    session_id UUID REFERENCES mining_sessions(id),
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    algorithm VARCHAR(100),
    hashrate_mhs DECIMAL(10,2),
    pool VARCHAR(255),
    earnings_usd DECIMAL(20,8) DEFAULT 0,
    power_consumption_watts INTEGER,
    temperature_celsius DECIMAL(5,2),
    shares_accepted INTEGER DEFAULT 0,
    shares_rejected INTEGER DEFAULT 0,
    difficulty DECIMAL(20,8),
    network_hashrate DECIMAL(20,2)
);

CREATE TABLE founder_compensation (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    founder_id UUID REFERENCES users(id),
    founder_name VARCHAR(255) NOT NULL,
    amount_azr DECIMAL(30,8) NOT NULL,
    amount_usd DECIMAL(20,8) NOT NULL,
    month DATE NOT NULL,
    compensation_type VARCHAR(50) DEFAULT 'monthly' CHECK (compensation_type IN ('monthly', 'bonus', 'equity', 'special')),
    status VARCHAR(50) DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'paid', 'cancelled')),
    tx_hash VARCHAR(255),
    payment_date TIMESTAMP WITH TIME ZONE,
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE ceremonial_events (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    event_type VARCHAR(100) NOT NULL CHECK (event_type IN ('burn_ritual', 'treasury_report', 'founder_payment', 'constitutional_amendment', 'sovereignty_declaration', 'embassy_establishment')),
    event_title VARCHAR(500) NOT NULL,
    description TEXT,
    azr_amount DECIMAL(30,8),
    usd_value DECIMAL(20,8),
    treasury_impact VARCHAR(50) CHECK (treasury_impact IN ('neutral', 'positive', 'negative')),
    constitutional_reference VARCHAR(255),
    ceremony_date TIMESTAMP WITH TIME ZONE,
    execution_date TIMESTAMP WITH TIME ZONE,
    status VARCHAR(50) DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')),
    officiant VARCHAR(255),
    witnesses TEXT[],
    documentation_url VARCHAR(500),
    blockchain_tx_hash VARCHAR(255),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    completed_at TIMESTAMP WITH TIME ZONE
);

CREATE TABLE crypto_prices (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    symbol VARCHAR(20) NOT NULL,
    price_usd DECIMAL(20,8) NOT NULL,
    market_cap_usd DECIMAL(30,2),
    volume_24h_usd DECIMAL(30,2),
    price_change_24h DECIMAL(10,4),
    source VARCHAR(50) DEFAULT 'coingecko',
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE mining_pool_stats (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    pool_name VARCHAR(255) NOT NULL,
    algorithm VARCHAR(100) NOT NULL,
    hashrate_th DECIMAL(15,2),
    miners_count INTEGER,
    fee_percentage DECIMAL(5,2),
    payout_scheme VARCHAR(50),
    status VARCHAR(50) DEFAULT 'active',
    last_updated TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE audit_log (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id UUID REFERENCES users(id),
    action VARCHAR(255) NOT NULL,
    resource_type VARCHAR(100),
    resource_id UUID,
    old_values JSONB,
    new_values JSONB,
    ip_address INET,
    user_agent TEXT,
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE compliance_reports (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    report_type VARCHAR(100) NOT NULL,
    report_period_start DATE,
    report_period_end DATE,
    total_transactions INTEGER,
    total_volume_azr DECIMAL(30,8),
    total_volume_usd DECIMAL(30,8),
    treasury_balance_azr DECIMAL(30,8),
    treasury_balance_usd DECIMAL(30,8),
    compliance_status VARCHAR(50) DEFAULT 'compliant',
    findings JSONB,
    recommendations TEXT,
    generated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    generated_by UUID REFERENCES users(id)
);

CREATE TABLE system_health (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    component VARCHAR(100) NOT NULL,
    status VARCHAR(50) NOT NULL CHECK (status IN ('healthy', 'warning', 'critical', 'offline')),
    metric_name VARCHAR(255),
    metric_value DECIMAL(20,8),
    threshold_warning DECIMAL(20,8),
    threshold_critical DECIMAL(20,8),
    message TEXT,
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE alerts (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    alert_type VARCHAR(100) NOT NULL,
    severity VARCHAR(50) DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'error', 'critical')),
    title VARCHAR(255) NOT NULL,
    message TEXT,
    component VARCHAR(100),
    resolved BOOLEAN DEFAULT FALSE,
    resolved_at TIMESTAMP WITH TIME ZONE,
    resolved_by UUID REFERENCES users(id),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE INDEX idx_treasury_ledger_tx_hash ON treasury_ledger(tx_hash);
CREATE INDEX idx_treasury_ledger_transaction_type ON treasury_ledger(transaction_type);
CREATE INDEX idx_treasury_ledger_blockchain_status ON treasury_ledger(blockchain_status);
CREATE INDEX idx_treasury_ledger_created_at ON treasury_ledger(created_at);
CREATE INDEX idx_mining_sessions_user_id ON mining_sessions(user_id);
CREATE INDEX idx_mining_sessions_status ON mining_sessions(status);
CREATE INDEX idx_mining_sessions_created_at ON mining_sessions(created_at);
CREATE INDEX idx_mining_statistics_session_id ON mining_statistics(session_id);
CREATE INDEX idx_mining_statistics_timestamp ON mining_statistics(timestamp);
CREATE INDEX idx_founder_compensation_founder_id ON founder_compensation(founder_id);
CREATE INDEX idx_founder_compensation_month ON founder_compensation(month);
CREATE INDEX idx_founder_compensation_status ON founder_compensation(status);
CREATE INDEX idx_ceremonial_events_event_type ON ceremonial_events(event_type);
CREATE INDEX idx_ceremonial_events_status ON ceremonial_events(status);
CREATE INDEX idx_ceremonial_events_ceremony_date ON ceremonial_events(ceremony_date);
CREATE INDEX idx_crypto_prices_symbol ON crypto_prices(symbol);
CREATE INDEX idx_crypto_prices_timestamp ON crypto_prices(timestamp);
CREATE INDEX idx_audit_log_user_id ON audit_log(user_id);
CREATE INDEX idx_audit_log_timestamp ON audit_log(timestamp);
CREATE INDEX idx_compliance_reports_period ON compliance_reports(report_period_start, report_period_end);
CREATE INDEX idx_system_health_component ON system_health(component);
CREATE INDEX idx_system_health_timestamp ON system_health(timestamp);
CREATE INDEX idx_alerts_alert_type ON alerts(alert_type);
CREATE INDEX idx_alerts_severity ON alerts(severity);
CREATE INDEX idx_alerts_resolved ON alerts(resolved);

CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = NOW();
    RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TRIGGER update_users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_founder_compensation_updated_at BEFORE UPDATE ON founder_compensation
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE VIEW treasury_summary AS
SELECT date_trunc('month', created_at) AS month, transaction_type,
       COUNT(*) AS transaction_count, SUM(amount_azr) AS total_azr, SUM(amount_usd) AS total_usd,
       AVG(treasury_allocation) AS avg_treasury_allocation,
       AVG(founder_allocation) AS avg_founder_allocation,
       AVG(burn_allocation) AS avg_burn_allocation,
       AVG(circulation_allocation) AS avg_circulation_allocation
FROM treasury_ledger WHERE blockchain_status = 'confirmed'
GROUP BY date_trunc('month', created_at), transaction_type;

CREATE VIEW mining_performance AS
SELECT date_trunc('day', created_at) AS date, algorithm,
       COUNT(DISTINCT id) AS session_count, AVG(total_hashrate_mhs) AS avg_hashrate,
       SUM(total_earnings_usd) AS total_earnings, SUM(azr_minted) AS total_azr_minted,
       AVG(power_consumption_watts) AS avg_power_consumption,
       AVG(temperature_celsius) AS avg_temperature
FROM mining_sessions WHERE status = 'completed'
GROUP BY date_trunc('day', created_at), algorithm;

CREATE VIEW founder_compensation_summary AS
SELECT founder_name, date_trunc('month', month) AS month,
       SUM(amount_azr) AS total_azr, SUM(amount_usd) AS total_usd,
       COUNT(*) AS payment_count, AVG(amount_usd) AS avg_payment_usd
FROM founder_compensation WHERE status = 'paid'
GROUP BY founder_name, date_trunc('month', month);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE treasury_ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE founder_compensation ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_own_data ON users FOR ALL
    USING (id = current_setting('app.current_user_id')::uuid);
CREATE POLICY treasury_user_access ON treasury_ledger FOR SELECT
    USING (recipient_address = current_setting('app.current_user_wallet')
           OR sender_address = current_setting('app.current_user_wallet'));

COMMENT ON TABLE users IS 'Platform users, identified by wallet address.';
COMMENT ON TABLE treasury_ledger IS 'Every treasury movement of AZR, with its allocation split.';
COMMENT ON TABLE mining_sessions IS 'Mining sessions run by users'' rigs, with their totals.';
COMMENT ON TABLE mining_statistics IS 'Periodic measurements taken during mining sessions.';
COMMENT ON TABLE founder_compensation IS 'Monthly and special payments to the founders.';
COMMENT ON TABLE ceremonial_events IS 'Governance ceremonies: burns, reports, payments and declarations.';
COMMENT ON TABLE crypto_prices IS 'Market prices of cryptocurrencies over time.';
COMMENT ON TABLE mining_pool_stats IS 'Statistics of the external mining pools.';
COMMENT ON TABLE audit_log IS 'Who changed what and when, with the values before and after.';
COMMENT ON TABLE compliance_reports IS 'Periodic regulatory reports on transaction volume and treasury balance.';
COMMENT ON TABLE system_health IS 'Health checks of the platform''s components.';
COMMENT ON TABLE alerts IS 'Operational alerts raised by the platform, and their resolution.';

ALTER TABLE treasury_ledger ADD CONSTRAINT constitutional_valuation_check
    CHECK (amount_azr = amount_usd);
ALTER TABLE treasury_ledger ADD CONSTRAINT treasury_allocation_check
    CHECK ((treasury_allocation + founder_allocation + burn_allocation + circulation_allocation) = 1.0000);
