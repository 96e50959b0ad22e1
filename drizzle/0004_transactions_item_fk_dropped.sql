ALTER TABLE "plaid_transactions" DROP CONSTRAINT "plaid_transactions_item_id_plaid_items_id_fk";
