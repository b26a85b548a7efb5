-- How each member wants to hear of each category of notification by e-mail ("immediate",
-- "daily", "weekly", "none"). Only what a member set is stored; the rest follows the defaults.
CREATE TABLE delivery_preferences (
    user_id UUID NOT NULL,
    tenant TEXT NOT NULL,
    category TEXT NOT NULL,
    frequency TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, category)
);
