-- RGPD: the messages of a user who erased their account lose their text (the conversation keeps
-- its place, marked erased). The author index serves the erasure and the user's data export.
ALTER TABLE conversation_messages ADD COLUMN erased BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX conversation_messages_author ON conversation_messages (author_user_id, id);
