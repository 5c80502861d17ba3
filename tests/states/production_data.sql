-- Rows written the way the services write them (defaults for ids and timestamps; the
-- services' own statuses), into a core built by production's schema.sql. Production's
-- CHECK constraints refuse the column defaults' allocations (they sum to 1.099), so
-- the services write the allocations explicitly, as here.
INSERT INTO users (wallet_address, jurisdiction, kyc_status) VALUES
    ('0xprod-a', 'ZA', 'verified'),
    ('0xprod-b', 'KE', 'pending');

INSERT INTO treasury_ledger (tx_hash, transaction_type, amount_azr, amount_usd,
                             recipient_address, sender_address, gas_used, gas_price_wei,
                             blockchain_status, created_at, treasury_allocation,
                             founder_allocation, burn_allocation, circulation_allocation)
SELECT '0xmint' || g, 'mint', 1000 + g, 1000 + g, '0xtreasury', NULL, 21000, 2000000000,
       CASE WHEN g % 5 = 0 THEN 'pending' ELSE 'confirmed' END,
       date_trunc('day', now()) - (g || ' days')::interval + interval '3 hours',
       0.7, 0.11, 0.05, 0.14
FROM generate_series(1, 40) AS g;

INSERT INTO treasury_ledger (tx_hash, transaction_type, amount_azr, amount_usd,
                             recipient_address, sender_address, blockchain_status,
                             created_at, treasury_allocation, founder_allocation,
                             burn_allocation, circulation_allocation)
VALUES ('0xburn1', 'burn', 50, 50, NULL, '0xtreasury', 'confirmed',
        date_trunc('day', now()) - interval '10 days', 0.7, 0.11, 0.05, 0.14),
       ('0xpay1', 'transfer', 10, 10, '0xprod-a', '0xtreasury', 'confirmed',
        date_trunc('day', now()) - interval '3 days', 0.7, 0.11, 0.05, 0.14);

INSERT INTO mining_sessions (session_id, user_id, start_time, end_time, algorithm,
                             total_hashrate_mhs, total_earnings_usd, azr_minted, status)
SELECT 's' || g, (SELECT id FROM users WHERE wallet_address = '0xprod-a'),
       date_trunc('day', now()) - (g || ' days')::interval,
       date_trunc('day', now()) - (g || ' days')::interval + interval '6 hours',
       'sha256', 95 + g % 7, 1.5 + (g % 3) * 0.1, 0.5, 'completed'
FROM generate_series(1, 20) AS g;

INSERT INTO system_health (component, status, metric_name, metric_value, threshold_warning,
                           threshold_critical, timestamp)
SELECT 'api-gateway', CASE WHEN g % 9 = 0 THEN 'warning' ELSE 'healthy' END, 'cpu', 40 + g % 30,
       70, 90, date_trunc('day', now()) - (g || ' hours')::interval
FROM generate_series(1, 100) AS g;

INSERT INTO alerts (alert_type, severity, title, component, created_at)
VALUES ('threshold', 'warning', 'CPU high', 'api-gateway', date_trunc('day', now()) - interval '2 days');
