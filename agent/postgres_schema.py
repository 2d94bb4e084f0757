"""The PostgreSQL store's schema (version SCHEMA_VERSION in store.py), created at the
agent's start under an advisory lock, and its one function: the accept."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    id text PRIMARY KEY,
    token_hash bytea NOT NULL,
    created double precision NOT NULL,
    last_seen double precision
);
CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value bigint NOT NULL);
CREATE TABLE IF NOT EXISTS queues (device text PRIMARY KEY, last_seq bigint NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    device text NOT NULL,
    device_seq bigint NOT NULL,
    message_sid text UNIQUE,
    idempotency_token text UNIQUE,
    sender text NOT NULL,
    number text NOT NULL,
    text text NOT NULL,
    name text NOT NULL,
    args text NOT NULL,
    created double precision NOT NULL,
    expires double precision NOT NULL,
    state text NOT NULL,
    deliveries integer NOT NULL DEFAULT 0,
    reply text,
    reply_route text,
    acked double precision,
    reply_wait double precision
);
CREATE INDEX IF NOT EXISTS commands_queue ON commands (device, state, device_seq);
CREATE INDEX IF NOT EXISTS commands_live ON commands (device, state, expires);
CREATE INDEX IF NOT EXISTS commands_expiry ON commands (state, expires);
CREATE TABLE IF NOT EXISTS messages (
    id bigserial PRIMARY KEY,
    device text,
    kind text NOT NULL,
    command_id text,
    to_number text NOT NULL,
    from_number text NOT NULL,
    body text NOT NULL,
    state text NOT NULL,
    sid text UNIQUE,
    status text,
    error_code integer,
    error text,
    attempts integer NOT NULL DEFAULT 0,
    next_at double precision NOT NULL DEFAULT 0,
    attempted double precision,
    created double precision NOT NULL,
    updated double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (state, next_at);
CREATE TABLE IF NOT EXISTS statuses (
    seq bigserial PRIMARY KEY,
    device text NOT NULL,
    sid text NOT NULL,
    status text NOT NULL,
    error_code integer,
    kind text NOT NULL,
    command_id text,
    at double precision NOT NULL,
    forwarded boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS statuses_queue ON statuses (device, forwarded, seq);
CREATE TABLE IF NOT EXISTS events (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    device text NOT NULL,
    name text NOT NULL,
    data jsonb,
    created double precision NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    id bigserial PRIMARY KEY,
    device text NOT NULL,
    key text NOT NULL,
    at double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_device ON alerts (device, at);
CREATE INDEX IF NOT EXISTS commands_by_device ON commands (device, seq);
CREATE INDEX IF NOT EXISTS messages_by_device ON messages (device, id);
CREATE INDEX IF NOT EXISTS events_by_device ON events (device, created);
CREATE TABLE IF NOT EXISTS actions (
    id bigserial PRIMARY KEY,
    at double precision NOT NULL,
    who text NOT NULL,
    action text NOT NULL,
    device text,
    detail text NOT NULL
);
"""
# The accept in one statement (one round trip, its own transaction). The device's
# queue row, locked first, orders accepts per device: the duplicate check and the
# count that follow see every earlier accept for the device committed.
ACCEPT = """
CREATE OR REPLACE FUNCTION utwilio_accept(
    p_id text, p_device text, p_sid text, p_token text, p_sender text, p_number text,
    p_text text, p_name text, p_args text, p_created double precision,
    p_expires double precision, p_reply_wait double precision, p_cap integer,
    p_now double precision)
RETURNS TABLE (outcome text, command_seq bigint) LANGUAGE plpgsql AS $$
DECLARE
    v_device_seq bigint;
    v_seq bigint;
    v_live integer;
BEGIN
    INSERT INTO queues AS q (device, last_seq) VALUES (p_device, 1)
        ON CONFLICT (device) DO UPDATE SET last_seq = q.last_seq + 1
        RETURNING q.last_seq INTO v_device_seq;
    SELECT c.seq INTO v_seq FROM commands AS c
        WHERE c.message_sid = p_sid OR c.idempotency_token = p_token LIMIT 1;
    IF v_seq IS NOT NULL THEN
        RETURN QUERY SELECT 'duplicate'::text, v_seq;
        RETURN;
    END IF;
    SELECT count(*) INTO v_live FROM (SELECT 1 FROM commands AS c WHERE c.device = p_device
        AND c.state = 'pending' AND c.expires > p_now LIMIT p_cap) AS live;
    IF v_live >= p_cap THEN
        RETURN QUERY SELECT 'full'::text, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO commands AS c (id, device, device_seq, message_sid, idempotency_token, sender,
        number, text, name, args, created, expires, state, reply_wait)
        VALUES (p_id, p_device, v_device_seq, p_sid, p_token, p_sender, p_number, p_text,
        p_name, p_args, p_created, p_expires, 'pending', p_reply_wait)
        ON CONFLICT DO NOTHING RETURNING c.seq INTO v_seq;
    IF v_seq IS NULL THEN  -- another agent stored the same MessageSid meanwhile
        SELECT c.seq INTO v_seq FROM commands AS c
            WHERE c.message_sid = p_sid OR c.idempotency_token = p_token LIMIT 1;
        RETURN QUERY SELECT 'duplicate'::text, v_seq;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'new'::text, v_seq;
END $$;
"""
