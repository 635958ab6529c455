-- What every update that writes starts with: the person's lock (the key lockContact
-- uses), then their contact and conversation state, in one round trip. VOLATILE (the
-- default), so in READ COMMITTED the SELECT takes its snapshot after the lock is granted
-- and sees what the lock's previous holder committed; two statements sent together
-- from the client would cost the same round trip only if their order were kept.
CREATE OR REPLACE FUNCTION "lock_and_find_contact"(p_channel text, p_user_id text)
RETURNS TABLE (found_contact jsonb, found_state jsonb) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_channel || ':' || p_user_id, 0));
  RETURN QUERY
    SELECT to_jsonb(c), to_jsonb(s)
    FROM "contacts" c LEFT JOIN "conversation_state" s ON s."contact_id" = c."id"
    WHERE c."channel" = p_channel AND c."platform_user_id" = p_user_id
    LIMIT 1;
END
$$;
