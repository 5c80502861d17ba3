-- The azora-mint database on PostgreSQL: the Prisma migration 20251027215234_init
-- as Prisma's PostgreSQL provider writes it, then the service's schema.sql tables
-- that do not clash with Prisma's, the allocation_status view and the pool seed.
CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE "subscription" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "tier" TEXT NOT NULL DEFAULT 'free_citizen',
    "status" TEXT NOT NULL DEFAULT 'active',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "subscription_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "invoice" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "amount" DOUBLE PRECISION NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "invoice_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "audit_log" (
    "id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "details" JSONB NOT NULL,
    "timestamp" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "azoraId" TEXT NOT NULL,
    "walletAddress" TEXT NOT NULL,
    "kycStatus" TEXT NOT NULL DEFAULT 'PENDING',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "user_balances" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "currencyCode" TEXT NOT NULL,
    "amount" DOUBLE PRECISION NOT NULL,
    CONSTRAINT "user_balances_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "knowledge_rewards" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "rewardAmount" DOUBLE PRECISION NOT NULL,
    "currencyCode" TEXT NOT NULL,
    "sourceTrxId" TEXT NOT NULL,
    "achievement" TEXT,
    "transactionHash" TEXT,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processedAt" TIMESTAMP(3),
    CONSTRAINT "knowledge_rewards_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "users_azoraId_key" ON "users"("azoraId");
CREATE UNIQUE INDEX "users_walletAddress_key" ON "users"("walletAddress");
CREATE UNIQUE INDEX "user_balances_userId_currencyCode_key" ON "user_balances"("userId", "currencyCode");
CREATE UNIQUE INDEX "knowledge_rewards_sourceTrxId_key" ON "knowledge_rewards"("sourceTrxId");
ALTER TABLE "user_balances" ADD CONSTRAINT "user_balances_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "knowledge_rewards" ADD CONSTRAINT "knowledge_rewards_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- services/azora-mint/schema.sql
CREATE TABLE earnings_ledger (
    id VARCHAR(100) PRIMARY KEY,
    user_id UUID NOT NULL,
    user_type VARCHAR(20) NOT NULL CHECK (user_type IN ('student', 'enterprise', 'business', 'governance')),
    amount DECIMAL(20,6) NOT NULL,
    net_amount DECIMAL(20,6) NOT NULL,
    reinvest_amount DECIMAL(20,6) NOT NULL,
    source VARCHAR(100) NOT NULL,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE pool_statistics (
    pool_type VARCHAR(20) PRIMARY KEY CHECK (pool_type IN ('student', 'enterprise', 'business', 'governance', 'ai_treasury')),
    total_minted DECIMAL(20,6) DEFAULT 0,
    last_mint_amount DECIMAL(20,6),
    last_mint_user UUID,
    updated_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE minting_transactions (
    id VARCHAR(100) PRIMARY KEY,
    mining_session_id VARCHAR(100),
    user_id UUID NOT NULL,
    amount_azr DECIMAL(20,6) NOT NULL,
    amount_usd DECIMAL(20,6) NOT NULL,
    transaction_hash VARCHAR(255),
    blockchain_status VARCHAR(20) DEFAULT 'pending' CHECK (blockchain_status IN ('pending', 'confirmed', 'failed')),
    gas_used DECIMAL(20,6),
    gas_price DECIMAL(20,6),
    created_at TIMESTAMP DEFAULT NOW(),
    confirmed_at TIMESTAMP
);

CREATE TABLE mining_pools (
    id VARCHAR(50) PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    url VARCHAR(255) NOT NULL,
    algorithm VARCHAR(50) NOT NULL,
    priority INTEGER DEFAULT 1,
    is_active BOOLEAN DEFAULT true,
    created_at TIMESTAMP DEFAULT NOW()
);

INSERT INTO pool_statistics (pool_type, total_minted) VALUES
    ('student', 0), ('enterprise', 0), ('business', 0), ('governance', 0), ('ai_treasury', 0);

CREATE VIEW allocation_status AS
SELECT 'Enterprise' AS category, 600000 AS cap, COALESCE(SUM(amount), 0) AS minted,
       600000 - COALESCE(SUM(amount), 0) AS remaining,
       ROUND(COALESCE(SUM(amount), 0) * 100.0 / 600000, 2) AS percent_used
FROM earnings_ledger WHERE user_type = 'enterprise'
UNION ALL
SELECT 'Business', 200000, COALESCE(SUM(amount), 0), 200000 - COALESCE(SUM(amount), 0),
       ROUND(COALESCE(SUM(amount), 0) * 100.0 / 200000, 2)
FROM earnings_ledger WHERE user_type = 'business'
UNION ALL
SELECT 'Student', 100000, COALESCE(SUM(amount), 0), 100000 - COALESCE(SUM(amount), 0),
       ROUND(COALESCE(SUM(amount), 0) * 100.0 / 100000, 2)
FROM earnings_ledger WHERE user_type = 'student';
