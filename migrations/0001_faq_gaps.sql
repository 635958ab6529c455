CREATE TABLE "faq_gaps" (
	"week" date NOT NULL,
	"kind" text NOT NULL,
	"topic" text DEFAULT '' NOT NULL,
	"question" text NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "faq_gaps_week_kind_topic_question_pk" PRIMARY KEY("week","kind","topic","question")
);
